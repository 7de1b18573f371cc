"""S3 sensors: a sensor on a bucket and key prefix/suffix, fed by S3 "Object Created" events.

In the cloud the bucket sends its events to EventBridge; a rule with
``S3SensorDefinition.event_pattern()`` routes them to the ``sensor`` Lambda
(directly, or through an SQS queue for batches). ``parse_s3_events`` reads what
arrives with powertools' pydantic event models: one EventBridge event, a list of
them, an SQS batch whose bodies are EventBridge events or S3 notifications, or
an S3 notification (``Records``) sent straight to Lambda.

The default run key is ``bucket/key/etag/sequencer``: S3 delivers at least once,
and the same event delivered again asks for the same run key, so it launches
nothing new; a new upload of the same key has a new sequencer and does.

Example:
    >>> from aloft import define_asset_job
    >>> @s3_sensor(bucket="drops", prefix="orders/", suffix=".csv", job=define_asset_job("load_orders"))
    ... def orders_dropped(context, s3_event):
    ...     return RunRequest(run_config={"ops": {}}, tags={"file": s3_event.key})
    >>> orders_dropped.matches(S3ObjectEvent(bucket="drops", key="orders/2024-03-01.csv", etag="e"))
    True
    >>> orders_dropped.event_pattern()["detail"]["object"]["key"]
    [{'wildcard': 'orders/*.csv'}]
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from aloft.automation._user_code import Evaluation, call_user_fn
from aloft.automation.errors import S3EventError
from aloft.automation.run_request import DefaultSensorStatus, RunRequest
from aloft.automation.sensor import SensorDefinition, SensorEvaluationContext
from aloft.errors import AloftError, DefinitionError

__all__ = [
    "MAX_S3_KEY_BYTES",
    "ParsedS3Record",
    "S3ObjectEvent",
    "S3SensorDefinition",
    "parse_s3_events",
    "s3_sensor",
]

# S3 object keys are at most 1024 bytes of UTF-8; anything longer is not a real event.
MAX_S3_KEY_BYTES = 1024
# Run keys are stored in a DynamoDB key attribute: keep them well under its 2 KB limit.
MAX_RUN_KEY_CHARS = 512
TAG_BUCKET = "aloft/s3.bucket"
TAG_KEY = "aloft/s3.key"
TAG_ETAG = "aloft/s3.etag"


@dataclass(frozen=True)
class S3ObjectEvent:
    """One object created in S3, as an S3 sensor's function receives it.

    ``key`` is the object key as S3 stores it (S3 notifications URL-encode keys;
    aloft decodes them). ``reason`` is S3's API (``PutObject``, ``CopyObject``,
    ``CompleteMultipartUpload``...) when known.

    Example:
        >>> event = S3ObjectEvent(bucket="drops", key="in/a.csv", etag="abc", sequencer="0062")
        >>> event.uri, event.default_run_key
        ('s3://drops/in/a.csv', 'drops/in/a.csv/abc/0062')
    """

    bucket: str
    key: str
    etag: str = ""
    sequencer: str | None = None
    size: int | None = None
    version_id: str | None = None
    event_time: datetime | None = None
    reason: str | None = None
    region: str | None = None
    event_id: str | None = None

    @property
    def uri(self) -> str:
        """``s3://bucket/key``."""
        return f"s3://{self.bucket}/{self.key}"

    @property
    def default_run_key(self) -> str:
        """``bucket/key/etag/sequencer`` (hashed past 512 characters): the same event, the same key."""
        parts = [self.bucket, self.key, self.etag, self.sequencer or self.version_id or ""]
        run_key = "/".join(parts)
        if len(run_key) <= MAX_RUN_KEY_CHARS:
            return run_key
        digest = hashlib.sha256(run_key.encode()).hexdigest()
        return f"{self.bucket}/{self.key[:200]}.../{digest}"

    def default_tags(self) -> dict[str, str]:
        """Tags every run this event asks for carries (bucket, key, etag)."""
        return {TAG_BUCKET: self.bucket, TAG_KEY: self.key, TAG_ETAG: self.etag}


@dataclass(frozen=True)
class ParsedS3Record:
    """One record of an incoming event: a parsed object event, or why it could not be used.

    ``message_id`` is the SQS message id (for ``batchItemFailures``) when the
    record came from an SQS batch; ``ignored`` says why a well-formed event is
    not for S3 sensors (an "Object Deleted" event, say).
    """

    event: S3ObjectEvent | None = None
    error: S3EventError | None = None
    ignored: str | None = None
    message_id: str | None = None


def _models() -> Any:
    try:
        from aws_lambda_powertools.utilities.parser import models
    except ImportError as err:  # pragma: no cover - the aws extra is installed in Lambda and dev
        raise AloftError("parsing S3 events needs aws-lambda-powertools: pip install 'aloft[aws]'") from err
    return models


def _describe_validation(err: Exception) -> str:
    errors = getattr(err, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "event"
        return f"{where}: {first.get('msg', 'invalid')}"
    return str(err)


def _check_key(bucket: str, key: str) -> None:
    size = len(key.encode())
    if not key:
        raise S3EventError(f"S3 event for bucket '{bucket}' has an empty object key")
    if size > MAX_S3_KEY_BYTES:
        raise S3EventError(
            f"S3 event for bucket '{bucket}' has a {size}-byte object key ('{key[:60]}...'); S3 keys are at "
            f"most {MAX_S3_KEY_BYTES} bytes, so this is not an event S3 sent"
        )


def _from_eventbridge(raw: Mapping[str, Any]) -> ParsedS3Record:
    models = _models()
    detail_type = raw.get("detail-type")
    if detail_type != "Object Created":
        return ParsedS3Record(ignored=f"S3 '{detail_type}' events do not trigger S3 sensors")
    try:
        model = models.S3EventNotificationEventBridgeModel.model_validate(raw)
    except Exception as err:
        return ParsedS3Record(error=S3EventError(f"malformed S3 'Object Created' event: {_describe_validation(err)}"))
    detail = model.detail
    obj = detail.object
    raw_object = raw.get("detail", {}).get("object", {})
    # AWS writes "etag"; moto's emulation writes "eTag". Accept both.
    etag = obj.etag or str(raw_object.get("eTag", ""))
    try:
        _check_key(detail.bucket.name, obj.key)
    except S3EventError as err:
        return ParsedS3Record(error=err)
    return ParsedS3Record(
        event=S3ObjectEvent(
            bucket=detail.bucket.name,
            key=obj.key,
            etag=etag,
            sequencer=obj.sequencer,
            size=None if obj.size is None else int(obj.size),
            version_id=obj.version_id,
            event_time=model.time,
            reason=detail.reason,
            region=model.region,
            event_id=model.id,
        )
    )


def _from_s3_record(raw: Mapping[str, Any]) -> ParsedS3Record:
    models = _models()
    name = str(raw.get("eventName", ""))
    if not name.startswith("ObjectCreated"):
        return ParsedS3Record(ignored=f"S3 '{name}' notifications do not trigger S3 sensors")
    try:
        record = models.S3RecordModel.model_validate(raw)
    except Exception as err:
        return ParsedS3Record(error=S3EventError(f"malformed S3 notification record: {_describe_validation(err)}"))
    obj = record.s3.object
    bucket = record.s3.bucket.name
    key = unquote_plus(obj.key)  # S3 notifications URL-encode the key ("a b.csv" -> "a+b.csv")
    try:
        _check_key(bucket, key)
    except S3EventError as err:
        return ParsedS3Record(error=err)
    return ParsedS3Record(
        event=S3ObjectEvent(
            bucket=bucket,
            key=key,
            etag=obj.eTag or "",
            sequencer=obj.sequencer,
            size=None if obj.size is None else int(obj.size),
            version_id=obj.versionId,
            event_time=record.eventTime,
            reason=name.partition(":")[2] or name,
            region=record.awsRegion,
        )
    )


def _records(payload: Any, message_id: str | None, depth: int) -> Iterator[ParsedS3Record]:
    if depth > 3:
        yield ParsedS3Record(error=S3EventError("event nested too deeply"), message_id=message_id)
        return
    if isinstance(payload, (str, bytes)):
        try:
            payload = json.loads(payload)
        except ValueError:
            yield ParsedS3Record(error=S3EventError("event body is not JSON"), message_id=message_id)
            return
    if isinstance(payload, list):
        for item in payload:
            yield from _records(item, message_id, depth + 1)
        return
    if not isinstance(payload, Mapping):
        yield ParsedS3Record(
            error=S3EventError(f"expected an S3 event (a JSON object), got {type(payload).__name__}"),
            message_id=message_id,
        )
        return
    if "detail-type" in payload:
        if payload.get("source") != "aws.s3":
            yield ParsedS3Record(
                error=S3EventError(
                    f"EventBridge event from '{payload.get('source')}' is not an S3 event; check the rule's "
                    "event pattern (source: aws.s3, detail-type: Object Created)"
                ),
                message_id=message_id,
            )
            return
        record = _from_eventbridge(payload)
        yield ParsedS3Record(record.event, record.error, record.ignored, message_id)
        return
    records = payload.get("Records")
    if isinstance(records, list):
        if not records:
            yield ParsedS3Record(ignored="an event with no records", message_id=message_id)
        for item in records:
            if isinstance(item, Mapping) and item.get("eventSource") == "aws:sqs":
                yield from _records(item.get("body"), str(item.get("messageId")), depth + 1)
            elif isinstance(item, Mapping) and item.get("eventSource") == "aws:s3":
                parsed = _from_s3_record(item)
                yield ParsedS3Record(parsed.event, parsed.error, parsed.ignored, message_id)
            elif isinstance(item, Mapping) and item.get("Event") == "s3:TestEvent":
                yield ParsedS3Record(ignored="S3 test event", message_id=message_id)
            else:
                source = item.get("eventSource") if isinstance(item, Mapping) else type(item).__name__
                yield ParsedS3Record(
                    error=S3EventError(f"record from {source!r} is not an S3 or SQS record"),
                    message_id=message_id,
                )
        return
    if payload.get("Event") == "s3:TestEvent":
        yield ParsedS3Record(ignored="S3 test event", message_id=message_id)
        return
    keys = ", ".join(sorted(str(k) for k in payload)[:8])
    yield ParsedS3Record(
        error=S3EventError(
            f"not an S3 event: expected an EventBridge 'Object Created' event or S3/SQS 'Records', got keys {keys}"
        ),
        message_id=message_id,
    )


def parse_s3_events(payload: Any) -> list[ParsedS3Record]:
    """Every record of an incoming Lambda event, parsed (malformed ones carry an ``S3EventError``).

    Parsing never raises for bad input: each record says what it is, so one bad
    record in a batch does not hide the good ones.

    Example:
        >>> event = {"version": "0", "id": "1", "detail-type": "Object Created", "source": "aws.s3",
        ...          "account": "1", "time": "2024-03-01T00:00:00Z", "region": "eu-west-1", "resources": [],
        ...          "detail": {"version": "0", "bucket": {"name": "drops"},
        ...                     "object": {"key": "a.csv", "etag": "e1", "sequencer": "01"},
        ...                     "request-id": "r", "requester": "1"}}
        >>> [r.event.default_run_key for r in parse_s3_events(event)]
        ['drops/a.csv/e1/01']
        >>> print(parse_s3_events({"hello": "world"})[0].error)
        not an S3 event: expected an EventBridge 'Object Created' event or S3/SQS 'Records', got keys hello
    """
    return list(_records(payload, None, 0))


@dataclass(frozen=True, eq=False, init=False)
class S3SensorDefinition(SensorDefinition):
    """A sensor on ``bucket`` for keys starting with ``prefix`` and ending with ``suffix``.

    Its function takes ``(context, s3_event)`` and returns RunRequest / SkipReason;
    returning None asks for one run with the default run key. Without a function
    every matching object asks for one run of ``job``.

    Example:
        >>> from aloft import define_asset_job
        >>> from aloft.automation.sensor import build_sensor_context
        >>> drops = S3SensorDefinition("drops", bucket="landing", suffix=".json", job=define_asset_job("ingest"))
        >>> event = S3ObjectEvent("landing", "x.json", etag="e", sequencer="01")
        >>> drops.evaluate_event(build_sensor_context(), event).run_requests[0].run_key
        'landing/x.json/e/01'
    """

    bucket: str = ""
    prefix: str = ""
    suffix: str = ""
    s3_fn: Callable[..., Any] | None = None

    def __init__(
        self,
        name: str,
        *,
        bucket: str,
        prefix: str = "",
        suffix: str = "",
        job: Any = None,
        job_name: str | None = None,
        evaluation_fn: Callable[..., Any] | None = None,
        default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        owner = f"S3 sensor '{name}'"
        if not isinstance(bucket, str) or not 3 <= len(bucket) <= 63 or bucket != bucket.lower() or "/" in bucket:
            raise DefinitionError(
                f"{owner}: bucket {bucket!r} is not an S3 bucket name (3-63 lowercase characters, no '/'); "
                "pass the bucket name, not an s3:// URI"
            )
        for label, value in (("prefix", prefix), ("suffix", suffix)):
            if not isinstance(value, str):
                raise DefinitionError(f"{owner}: {label} must be a string, got {value!r}")
        if job is None and job_name is None:
            raise DefinitionError(f"{owner} needs a job: @s3_sensor(bucket=..., job=define_asset_job(...))")
        user_fn = evaluation_fn

        def evaluate(context: SensorEvaluationContext, s3_event: S3ObjectEvent) -> Any:
            if user_fn is None:
                return RunRequest()
            output = call_user_fn(user_fn, context, context.resources, label=owner, positional=[s3_event])
            return RunRequest() if output is None else output

        evaluate.__name__ = name
        super().__init__(
            name,
            evaluation_fn=evaluate,
            job=job,
            job_name=job_name,
            default_status=default_status,
            description=description,
            sensor_type="s3",
            tags=tags,
        )
        object.__setattr__(self, "bucket", bucket)
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "suffix", suffix)
        object.__setattr__(self, "s3_fn", evaluation_fn)

    def matches(self, event: S3ObjectEvent) -> bool:
        """Whether the event is for this sensor's bucket, prefix and suffix."""
        return event.bucket == self.bucket and event.key.startswith(self.prefix) and event.key.endswith(self.suffix)

    def event_pattern(self) -> dict[str, Any]:
        """The EventBridge rule pattern that routes this sensor's events (for the CDK).

        Example:
            >>> from aloft import define_asset_job
            >>> S3SensorDefinition("s", bucket="landing", prefix="in/", job=define_asset_job("j")).event_pattern()
            {'source': ['aws.s3'], 'detail-type': ['Object Created'], 'detail': {'bucket': {'name': ['landing']}, 'object': {'key': [{'prefix': 'in/'}]}}}
        """
        detail: dict[str, Any] = {"bucket": {"name": [self.bucket]}}
        if self.prefix and self.suffix:
            detail["object"] = {"key": [{"wildcard": f"{_escape_wildcard(self.prefix)}*{_escape_wildcard(self.suffix)}"}]}
        elif self.prefix:
            detail["object"] = {"key": [{"prefix": self.prefix}]}
        elif self.suffix:
            detail["object"] = {"key": [{"suffix": self.suffix}]}
        return {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": detail}

    def evaluate_event(self, context: SensorEvaluationContext, event: S3ObjectEvent) -> Evaluation:
        """Evaluate the sensor for one object event; run requests get the default run key and tags."""
        if not self.matches(event):
            return Evaluation(skip_message=f"{event.uri} does not match {self.label}")
        evaluation = self.evaluate_tick(context, event)
        requests = evaluation.run_requests
        keyed = tuple(
            r.with_defaults(
                run_key=event.default_run_key if index == 0 else f"{event.default_run_key}#{index}",
                tags=event.default_tags(),
            )
            for index, r in enumerate(requests)
        )
        return Evaluation(
            run_requests=keyed,
            skip_message=None if keyed else evaluation.skip_message,
            cursor=evaluation.cursor,
            cursor_set=evaluation.cursor_set,
            dynamic_partitions_requests=evaluation.dynamic_partitions_requests,
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the decorated function directly (unit tests)."""
        if self.s3_fn is None:
            raise DefinitionError(f"{self.label} has no function to call")
        return self.s3_fn(*args, **kwargs)


def _escape_wildcard(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*")


def s3_sensor(
    bucket: str,
    *,
    prefix: str = "",
    suffix: str = "",
    job: Any = None,
    job_name: str | None = None,
    name: str | None = None,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> Callable[[Callable[..., Any]], S3SensorDefinition]:
    """Decorate a function of ``(context, s3_event: S3ObjectEvent)`` into an S3 sensor.

    Example:
        >>> from aloft import define_asset_job
        >>> @s3_sensor(bucket="landing", prefix="raw/", job=define_asset_job("ingest"))
        ... def raw_files(context, s3_event):
        ...     if s3_event.size == 0:
        ...         return SkipReason(f"{s3_event.uri} is empty")
        >>> raw_files.bucket, raw_files.prefix
        ('landing', 'raw/')
    """

    def build(fn: Callable[..., Any]) -> S3SensorDefinition:
        return S3SensorDefinition(
            name or fn.__name__,
            bucket=bucket,
            prefix=prefix,
            suffix=suffix,
            job=job,
            job_name=job_name,
            evaluation_fn=fn,
            default_status=default_status,
            description=description if description is not None else fn.__doc__,
            tags=tags,
        )

    return build

