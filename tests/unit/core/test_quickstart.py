"""The quickstart example builds what the README says it builds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from aloft import materialize
from aloft.cli.main import main
from examples.quickstart.definitions import defs

ROOT = Path(__file__).resolve().parents[3]


def test_quickstart_materializes_revenue_by_region() -> None:
    result = materialize(list(defs.assets))
    assert result.success
    revenue = result.output_for_node("revenue_by_region")
    assert isinstance(revenue, pd.DataFrame)
    assert list(revenue.columns) == ["region", "revenue", "orders"]
    raw = pd.read_csv(ROOT / "examples" / "quickstart" / "data" / "orders.csv", keep_default_na=False, na_values=[""])
    assert set(revenue["region"]) == {"EU", "NA", "APAC", "LATAM"}
    expected = raw.dropna(subset=["amount"])
    expected = expected[expected["status"] == "complete"]
    assert revenue["revenue"].sum() == pytest.approx(expected["amount"].sum(), abs=0.05)
    (cleaned,) = result.asset_materializations_for_node("cleaned_orders")
    assert cleaned.metadata["row_count"].value == len(expected)
    assert cleaned.metadata["dropped_missing_amount"].value == raw["amount"].isna().sum()
    assert result.asset_materializations_for_node("raw_orders")[0].metadata["preview"].type == "table"


def test_quickstart_config_changes_the_result() -> None:
    result = materialize(
        list(defs.assets),
        run_config={"ops": {"cleaned_orders": {"config": {"statuses": ["complete", "pending"]}}}},
    )
    counts = result.output_for_node("revenue_by_region")["orders"].sum()
    assert counts > materialize(list(defs.assets)).output_for_node("revenue_by_region")["orders"].sum()


def test_quickstart_job_through_the_cli(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--state", "memory:", "-f", str(ROOT / "examples/quickstart/definitions.py"),
                 "job", "execute", "-j", "daily_revenue", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [s["step"] for s in data["steps"]] == ["raw_orders", "cleaned_orders", "revenue_by_region", "revenue_report"]


def test_import_aloft_stays_light() -> None:
    code = "import sys, aloft; print(sorted(m for m in ('pandas', 'boto3', 'pyarrow', 'pydantic', 'botocore') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
