"""``aloft daemon`` and ``aloft dev`` (without the local cloud): startup lines, one pass, signals, the UI."""

from __future__ import annotations

import json
import os
import signal
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from automation_cli_project import run

from aloft.automation.daemon import AutomationDaemon


def test_daemon_once_runs_one_pass_and_says_what_is_scheduled(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "daemon", "--once", "--workers", "0")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("aloft daemon: state sqlite:")
    assert any(line.startswith("  schedule nightly: 30 2 * * * (Europe/Berlin) -> job refresh; next tick ")
               for line in lines)
    assert "  sensor counter: every 60s -> job refresh" in lines
    assert ("  sensor drops: s3://landing-bucket/orders/* -> job refresh; not fed here "
            "(`aloft dev --local-cloud` feeds it)") in lines
    assert any(line.startswith("  automation: 2 asset(s) (total, checked)") for line in lines)
    assert "running (Ctrl-C to stop)" not in out
    assert any("counter: SUCCESS" in line for line in lines)
    assert lines[-1] == "stopped"
    # the sensor's run of 'refresh', then eager automation of total and checked in one run
    code, out, _ = run(capsys, "runs", "list", "--json")
    assert len(json.loads(out)) == 2
    assert run(capsys, "sensor", "cursor", "counter")[1].strip() == "1"


def test_automation_status_shows_the_tree_of_a_combined_condition(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "daemon", "--once", "--workers", "0")
    code, out, _ = run(capsys, "automation", "status")
    assert code == 0
    assert "total  [eager]" in out
    assert "checked  [eager & ~execution_failed]" in out
    tree = out[out.index("    checked: "):].splitlines()
    assert tree == [
        "    checked: eager & ~execution_failed: not requested: eager: up to date with its upstreams",
        "        [ ] eager & ~execution_failed",
        "          [ ] eager: up to date with its upstreams",
        "          [x] ~execution_failed",
        "            [ ] execution_failed: its latest run did not fail",
    ]


def test_once_and_iterations_do_not_mix(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "daemon", "--once", "--iterations", "3")
    assert code == 2 and "--once or --iterations" in err


@pytest.fixture
def signal_after_each_pass(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Signals to send to this process after each daemon pass (as a terminal or a supervisor would)."""
    pending: list[int] = []
    original = AutomationDaemon.run_once

    def run_once(self: AutomationDaemon) -> Any:
        result = original(self)
        if pending:
            os.kill(os.getpid(), pending.pop(0))
        return result

    monkeypatch.setattr(AutomationDaemon, "run_once", run_once)
    return pending


def test_sigterm_stops_after_the_pass_and_restores_the_handlers(
    project: Path, capsys: pytest.CaptureFixture[str], signal_after_each_pass: list[int]
) -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    signal_after_each_pass.append(signal.SIGTERM)
    code, out, err = run(capsys, "daemon", "--interval", "0", "--workers", "2")  # unbounded
    assert code == 0
    assert "running (Ctrl-C to stop)" in out and out.rstrip().endswith("stopped")
    assert "stopping after the current pass" in err
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    # the sensor's run (in a background worker) was waited for; eager automation may or may not
    # have followed within the one pass, depending on when that run finished
    runs = json.loads(run(capsys, "runs", "list", "--json")[1])
    assert runs and {r["status"] for r in runs} == {"SUCCESS"}


def test_a_second_ctrl_c_interrupts(
    project: Path, capsys: pytest.CaptureFixture[str], signal_after_each_pass: list[int]
) -> None:
    original = AutomationDaemon.stop

    def stop_then_interrupt_again(self: AutomationDaemon) -> None:
        original(self)
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(AutomationDaemon, "stop", stop_then_interrupt_again)
        signal_after_each_pass.append(signal.SIGINT)
        code, _, err = run(capsys, "daemon", "--interval", "0", "--workers", "0")
    assert code == 130 and "interrupted" in err


class FakeUIServer:
    """The agreed interface of ``aloft.ui.server.UIServer``."""

    made: list[FakeUIServer] = []

    def __init__(self, definitions: Any, store: Any, host: str = "127.0.0.1", port: int = 3000) -> None:
        self.definitions, self.store, self.host, self.port = definitions, store, host, port
        self.started = self.stopped = False
        FakeUIServer.made.append(self)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True


def test_dev_serves_the_ui_and_stops_it(project: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("aloft.ui.server")
    module.UIServer = FakeUIServer  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "aloft.ui.server", module)
    FakeUIServer.made.clear()
    code, out, _ = run(capsys, "dev", "--once", "--port", "3123", "--workers", "0")
    assert code == 0 and out.startswith("aloft dev: state ")
    assert "  web UI: http://127.0.0.1:3123" in out.splitlines()
    (server,) = FakeUIServer.made
    assert server.started and server.stopped
    assert sorted(a.key.to_user_string() for a in server.definitions.assets) == ["checked", "numbers", "total"]


def test_dev_without_the_ui_module_runs_anyway(project: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aloft.ui.server", None)  # import fails
    code, out, _ = run(capsys, "dev", "--once", "--workers", "0")
    assert code == 0
    assert "  web UI: not available in this installation" in out and "counter: SUCCESS" in out


def test_dev_with_the_real_ui_and_no_ui(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "dev", "--once", "--port", "0", "--workers", "0")
    assert code == 0
    (line,) = [line for line in out.splitlines() if "web UI" in line]
    assert line.startswith("  web UI: http://127.0.0.1:") or "not started" in line
    code, out, _ = run(capsys, "dev", "--once", "--no-ui", "--workers", "0")
    assert code == 0 and "web UI" not in out


def test_the_emulated_aws_endpoint_reports_a_taken_port_instead_of_hanging() -> None:
    import contextlib
    import socket

    from aloft.cli.dev import _start_aws_endpoint

    with socket.socket() as taken, contextlib.ExitStack() as stack:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _start_aws_endpoint(stack, "127.0.0.1", port)
        assert line.startswith(f"emulated AWS API: not served, 127.0.0.1:{port} is taken")
        served = _start_aws_endpoint(stack, "127.0.0.1", 0)
        assert served.startswith("emulated AWS API: http://127.0.0.1:")


def test_dev_warns_when_it_binds_a_non_loopback_address(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "dev", "--once", "--host", "0.0.0.0", "--port", "0", "--workers", "0")
    assert code == 0
    assert "warning: --host 0.0.0.0 is not a loopback address" in err
    code, _, err = run(capsys, "dev", "--once", "--port", "0", "--workers", "0")
    assert code == 0 and "warning" not in err


def test_ui_warns_when_it_binds_a_non_loopback_address(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from aloft.cli import ui

    def interrupted(server: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ui, "_serve_until_interrupted", interrupted)
    code, _, err = run(capsys, "ui", "--host", "0.0.0.0", "--port", "0")
    assert code == 0
    assert "warning: --host 0.0.0.0 is not a loopback address" in err
    code, _, err = run(capsys, "ui", "--host", "127.0.0.2", "--port", "0")
    assert code == 0 and "warning" not in err
