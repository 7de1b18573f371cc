"""The emulated AWS API that ``aloft dev --local-cloud`` serves: boto3 reaches it, web pages do not."""

from __future__ import annotations

import contextlib
import http.client
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

boto3 = pytest.importorskip("boto3")
pytest.importorskip("flask_cors")

from aloft.cli.dev import _start_aws_endpoint  # noqa: E402

UI_ORIGIN = "http://127.0.0.1:3000"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with contextlib.ExitStack() as stack:
        line = _start_aws_endpoint(stack, "127.0.0.1", 0, allowed_origins=[UI_ORIGIN])
        assert line.startswith("emulated AWS API: http://127.0.0.1:"), line
        yield line.split("emulated AWS API: ", 1)[1]


def request(endpoint: str, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> http.client.HTTPResponse:
    url = urlsplit(endpoint)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    connection.request(method, path, body=body or None, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def host_of(endpoint: str) -> str:
    return urlsplit(endpoint).netloc


def test_boto3_without_an_origin_works(endpoint: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="endpoint-bucket")
    s3.put_object(Bucket="endpoint-bucket", Key="a.csv", Body=b"id\n1\n")
    assert s3.get_object(Bucket="endpoint-bucket", Key="a.csv")["Body"].read() == b"id\n1\n"


def test_a_page_of_another_origin_gets_no_cors_grant_and_is_refused(endpoint: str) -> None:
    evil = {"Host": host_of(endpoint), "Origin": "https://evil.example"}
    listed = request(endpoint, "GET", "/", evil)
    assert listed.status == 403
    assert listed.getheader("Access-Control-Allow-Origin") is None
    preflight = request(endpoint, "OPTIONS", "/", {
        **evil, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-amz-target",
    })
    assert preflight.status == 403
    assert preflight.getheader("Access-Control-Allow-Origin") is None
    assert preflight.getheader("Access-Control-Allow-Methods") is None
    # a "simple" POST needs no preflight: it must not reach moto either.
    started = request(endpoint, "POST", "/", {**evil, "Content-Type": "text/plain"},
                      b'{"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:x"}')
    assert started.status == 403


def test_null_origin_is_refused(endpoint: str) -> None:
    assert request(endpoint, "GET", "/", {"Host": host_of(endpoint), "Origin": "null"}).status == 403


def test_the_local_ui_origin_is_accepted_but_not_granted_cors(endpoint: str) -> None:
    response = request(endpoint, "GET", "/", {"Host": host_of(endpoint), "Origin": UI_ORIGIN.replace(
        "127.0.0.1", "localhost")})
    assert response.status == 200
    assert response.getheader("Access-Control-Allow-Origin") is None


def test_a_foreign_host_is_refused(endpoint: str) -> None:
    port = urlsplit(endpoint).port
    assert request(endpoint, "GET", "/", {"Host": f"evil.example:{port}"}).status == 403
    assert request(endpoint, "GET", "/", {"Host": f"localhost:{port}"}).status == 200
    assert request(endpoint, "GET", "/", {"Host": f"[::1]:{port}"}).status == 200
