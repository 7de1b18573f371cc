"""``aloft dev --local-cloud`` in its own process, driven as a user would: drop a file into the emulated
bucket through the AWS API the command serves, see the run, stop it with SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")

PROJECT = '''
from aloft import Definitions, asset, define_asset_job
from aloft.automation.run_request import DefaultSensorStatus, RunRequest
from aloft.automation.s3 import s3_sensor

@asset
def landed(context) -> str:
    return context.run_tags.get("file", "?")

load = define_asset_job("load", selection="landed")

@s3_sensor(bucket="landing-bucket", prefix="in/", job=load, default_status=DefaultSensorStatus.RUNNING)
def dropped(context, s3_event):
    return RunRequest(tags={"file": s3_event.key})

defs = Definitions(assets=[landed], jobs=[load], sensors=[dropped])
'''
TIMEOUT = 90.0


class Lines:
    """The process's stdout, line by line, waited for with a timeout."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        stream = process.stdout

        def pump() -> None:
            for line in stream:
                self._queue.put(line.rstrip("\n"))
            self._queue.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def until(self, text: str) -> str:
        while True:
            line = self._queue.get(timeout=TIMEOUT)
            if line is None:
                raise AssertionError(f"the process ended before printing {text!r}:\n" + "\n".join(self.seen))
            self.seen.append(line)
            if text in line:
                return line


def test_dev_local_cloud_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "defs.py").write_text(PROJECT)
    (tmp_path / "pyproject.toml").write_text('[tool.aloft]\nfile = "defs.py"\nstate = "sqlite:.aloft/state.db"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "aloft.cli.main", "dev", "--local-cloud", "--no-ui", "--aws-port", "0",
         "--interval", "0.2"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = Lines(process)
        endpoint = lines.until("emulated AWS API: ").split("emulated AWS API: ", 1)[1]
        lines.until("S3 sensors: drop files in s3://landing-bucket")
        lines.until("sensor dropped: s3://landing-bucket/in/* -> job load; events from SQS queue")
        lines.until("running (Ctrl-C to stop)")
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        s3.put_object(Bucket="landing-bucket", Key="in/orders.csv", Body=b"id\n1\n")
        lines.until("s3 events: 1 new run(s)")
        process.send_signal(signal.SIGTERM)
        lines.until("stopped")
        assert process.wait(timeout=TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    listed = subprocess.run([sys.executable, "-m", "aloft.cli.main", "runs", "list", "--json"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=TIMEOUT)
    (run,) = json.loads(listed.stdout)
    assert run["status"] == "SUCCESS" and run["job_name"] == "load"
