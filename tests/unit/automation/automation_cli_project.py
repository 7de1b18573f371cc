"""The project the CLI tests write to disk, and a helper that runs ``aloft`` in process."""

from __future__ import annotations

import pytest

from aloft.cli import main as cli_main

PROJECT = '''
from aloft import Definitions, asset, define_asset_job
from aloft.automation.conditions import AutomationCondition
from aloft.automation.run_request import DefaultScheduleStatus, DefaultSensorStatus, RunRequest
from aloft.automation.s3 import s3_sensor
from aloft.automation.schedule import ScheduleDefinition
from aloft.automation.sensor import sensor

@asset
def numbers() -> list[int]:
    return [1, 2, 3]

@asset(automation_condition=AutomationCondition.eager())
def total(numbers: list[int]) -> int:
    return sum(numbers)

@asset(automation_condition=AutomationCondition.eager() & ~AutomationCondition.execution_failed())
def checked(total: int) -> int:
    return total

refresh = define_asset_job("refresh", selection="numbers")

nightly = ScheduleDefinition(name="nightly", job=refresh, cron_schedule="30 2 * * *",
                             execution_timezone="Europe/Berlin", default_status=DefaultScheduleStatus.RUNNING)

@sensor(job=refresh, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def counter(context):
    n = int(context.cursor or 0) + 1
    context.update_cursor(str(n))
    return RunRequest(run_key=str(n))

@s3_sensor(bucket="landing-bucket", prefix="orders/", job=refresh, default_status=DefaultSensorStatus.RUNNING)
def drops(context, s3_event):
    return RunRequest(tags={"key": s3_event.key})

defs = Definitions(assets=[numbers, total, checked], schedules=[nightly], sensors=[counter, drops])
'''


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``aloft *argv`` in this process: (exit code, stdout, stderr)."""
    code = cli_main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
