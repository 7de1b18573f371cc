"""Side-by-side benchmarks: aloft vs Dagster, each in its own venv.

    bash benchmarks/setup_dagster.sh          # once: pinned Dagster in benchmarks/.venv-dagster
    .venv/bin/python benchmarks/run.py        # table on stdout
    .venv/bin/python benchmarks/run.py --only chain_300,import --json

Runs ``bench_core.py`` as a subprocess with ``.venv/bin/python`` (aloft) and
``benchmarks/.venv-dagster/bin/python`` (dagster), one after the other, collects their JSON
lines, prints a comparison table and writes everything to ``benchmarks/results/latest.json``.
If the Dagster venv is missing, only aloft runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
BENCH_CORE = HERE / "bench_core.py"
TIMEOUT_S = 3600

Record = dict[str, Any]


def _bin_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


INTERPRETERS: dict[str, Path] = {
    "aloft": _bin_python(ROOT / ".venv"),
    "dagster": _bin_python(HERE / ".venv-dagster"),
}


@dataclass(frozen=True)
class Target:
    text: str
    check: Callable[[Record | None, Record | None], bool | None]


def _ok(rec: Record | None) -> bool:
    return rec is not None and "seconds" in rec


def _speedup_at_least(factor: float) -> Callable[[Record | None, Record | None], bool | None]:
    def check(aloft: Record | None, dagster: Record | None) -> bool | None:
        if aloft is None or dagster is None or not (_ok(aloft) and _ok(dagster)):
            return None
        return bool(dagster["seconds"] >= factor * aloft["seconds"])

    return check


def _aloft_field_at_most(
    field: str, limit: float
) -> Callable[[Record | None, Record | None], bool | None]:
    def check(aloft: Record | None, dagster: Record | None) -> bool | None:
        if aloft is None or field not in aloft:
            return None
        return bool(aloft[field] <= limit)

    return check


TARGETS: dict[str, Target] = {
    "chain_300": Target("aloft >= 10x faster", _speedup_at_least(10.0)),
    "wide_1_300_1": Target(
        "aloft wall <= 1.5x critical path",
        _aloft_field_at_most("wall_over_critical_path", 1.5),
    ),
    "import": Target("aloft <= 0.15 s", _aloft_field_at_most("seconds", 0.15)),
    "defs_5000": Target("aloft <= 0.5 s", _aloft_field_at_most("seconds", 0.5)),
    "partitions_365_concurrent": Target("aloft >= 10x faster", _speedup_at_least(10.0)),
}

# Benchmarks Dagster has no counterpart for, compared with the Dagster figure of another one.
DAGSTER_BASELINE = {"partitions_365_concurrent": "partitions_365"}

BENCH_ORDER = [
    "import",
    "chain_300",
    "chain_300_persistent",
    "wide_1_300_1",
    "defs_5000",
    "partitions_365",
    "partitions_365_concurrent",
]


def run_backend(backend: str, args: argparse.Namespace) -> list[Record]:
    """Run bench_core.py in the backend's venv; return its JSON records."""
    python = INTERPRETERS[backend]
    cmd = [str(python), str(BENCH_CORE), "--backend", backend]
    if args.only:
        cmd += ["--only", args.only]
    if args.quick:
        cmd.append("--quick")
    if args.repeat is not None:
        cmd += ["--repeat", str(args.repeat)]
    RESULTS.mkdir(exist_ok=True)
    log = RESULTS / f"{backend}.stderr.log"
    print(f"[bench] {backend}: running (stderr -> {log.relative_to(ROOT)})", file=sys.stderr)
    start = time.perf_counter()
    with log.open("w") as err:
        # cwd is benchmarks/ so that neither backend can pick up the repo root by accident.
        proc = subprocess.run(
            cmd, cwd=HERE, stdout=subprocess.PIPE, stderr=err, text=True, timeout=TIMEOUT_S
        )
    records: list[Record] = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and rec.get("backend") == backend:
            records.append(rec)
            if not args.json:
                print(f"[bench] {backend}: {_progress(rec)}", file=sys.stderr)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or not records:
        records.append(
            {
                "backend": backend,
                "bench": "_process",
                "error": f"exit code {proc.returncode}; see {log.relative_to(ROOT)}",
            }
        )
    print(f"[bench] {backend}: done in {elapsed:.1f}s", file=sys.stderr)
    return records


def _progress(rec: Record) -> str:
    name = rec.get("bench", "?")
    if "seconds" in rec:
        return f"{name} {rec['seconds']:.4f}s"
    if "error" in rec:
        return f"{name} ERROR {rec['error']}"
    if "skipped" in rec:
        return f"{name} skipped ({rec['skipped']})"
    return f"{name} {rec.get('version', '')}".rstrip()


def _fmt_s(rec: Record | None) -> str:
    if rec is None:
        return "-"
    if "seconds" in rec:
        return f"{rec['seconds']:.4f}"
    if "skipped" in rec:
        return "skipped"
    if "error" in rec:
        return "ERROR"
    return "?"


def compare(by_backend: dict[str, dict[str, Record]]) -> list[dict[str, Any]]:
    """One row per benchmark: both figures, Dagster/aloft ratio, target verdict."""
    names = [n for n in BENCH_ORDER if any(n in recs for recs in by_backend.values())] + sorted(
        {n for recs in by_backend.values() for n in recs if not n.startswith("_")}
        - set(BENCH_ORDER)
    )
    rows = []
    for name in names:
        aloft = by_backend.get("aloft", {}).get(name)
        dagster = by_backend.get("dagster", {}).get(DAGSTER_BASELINE.get(name, name))
        ratio = None
        if aloft is not None and dagster is not None and _ok(aloft) and _ok(dagster):
            ratio = dagster["seconds"] / aloft["seconds"] if aloft["seconds"] > 0 else None
        target = TARGETS.get(name)
        verdict = target.check(aloft, dagster) if target else None
        note = ""
        if name == "wide_1_300_1" and aloft and "wall_over_critical_path" in aloft:
            note = (
                f"aloft wall/critical path = {aloft['wall_over_critical_path']:.2f}x "
                f"(critical path {aloft['critical_path_s'] * 1000:.0f} ms)"
            )
            if "zero_sleep_s" in aloft:
                note += f"; same graph with 0 ms sleeps: {aloft['zero_sleep_s']:.4f}s"
            if "in_memory_s" in aloft:
                note += (
                    f"; values in memory (no pickles on disk): {aloft['in_memory_s']:.4f}s"
                    f" = {aloft['in_memory_over_critical_path']:.2f}x"
                )
        if name in DAGSTER_BASELINE and dagster is not None:
            note = f"dagster: its {DAGSTER_BASELINE[name]} (one materialize per key)"
        for backend, rec in (("aloft", aloft), ("dagster", dagster)):
            if rec and "error" in rec:
                note = (note + "; " if note else "") + f"{backend}: {rec['error']}"
        rows.append(
            {
                "benchmark": name,
                "aloft_s": aloft.get("seconds") if aloft else None,
                "dagster_s": dagster.get("seconds") if dagster else None,
                "aloft": _fmt_s(aloft),
                "dagster": _fmt_s(dagster),
                "ratio": ratio,
                "target": target.text if target else "",
                "pass": verdict,
                "note": note,
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    headers = ["benchmark", "aloft s", "dagster s", "dagster/aloft", "target", "pass/fail"]
    table = [
        [
            r["benchmark"],
            r["aloft"],
            r["dagster"],
            f"{r['ratio']:.1f}x" if r["ratio"] is not None else "-",
            r["target"] or "-",
            {True: "PASS", False: "FAIL", None: "-" if not r["target"] else "n/a"}[r["pass"]],
        ]
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *table, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in table:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))
    notes = [f"  {r['benchmark']}: {r['note']}" for r in rows if r["note"]]
    if notes:
        print("\nnotes:")
        print("\n".join(notes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="aloft vs Dagster benchmarks")
    parser.add_argument("--only", metavar="NAME", help="comma-separated benchmark name(s)")
    parser.add_argument("--json", action="store_true", help="print results as JSON, no table")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--repeat", type=int, help="runs per materialize benchmark")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any target fails")
    parser.add_argument(
        "--backend",
        choices=sorted(INTERPRETERS),
        action="append",
        help="run only this backend (repeatable; default: both)",
    )
    args = parser.parse_args(argv)

    backends: list[str] = args.backend or ["aloft", "dagster"]
    missing: list[str] = []
    for backend in list(backends):
        if not INTERPRETERS[backend].exists():
            hint = (
                "run `bash benchmarks/setup_dagster.sh` first"
                if backend == "dagster"
                else "create .venv and `pip install -e '.[dev]'`"
            )
            print(
                f"[bench] {backend} venv missing ({INTERPRETERS[backend].relative_to(ROOT)}); "
                f"{hint}; skipping {backend}",
                file=sys.stderr,
            )
            backends.remove(backend)
            missing.append(backend)
    if not backends:
        return 2

    records: list[Record] = []
    for backend in backends:
        records += run_backend(backend, args)

    by_backend: dict[str, dict[str, Record]] = {}
    for rec in records:
        by_backend.setdefault(rec["backend"], {})[rec["bench"]] = rec
    rows = compare(by_backend)
    meta = {b: recs.get("_meta", {}) for b, recs in by_backend.items()}
    out = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": bool(args.quick),
        "missing_backends": missing,
        "meta": meta,
        "rows": rows,
        "records": records,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")

    if args.json:
        print(json.dumps(out, indent=2, sort_keys=True))
    else:
        versions = ", ".join(
            f"{b} {m.get('version', '?')}" + (f" (ERROR: {m['error']})" if "error" in m else "")
            for b, m in meta.items()
        )
        cpus = next((m.get("cpus") for m in meta.values() if m.get("cpus")), "?")
        print(f"\n{versions}; python {next(iter(meta.values())).get('python', '?')}; {cpus} CPUs")
        if args.quick:
            print("QUICK RUN: reduced sizes; targets are for the full sizes")
        cpus_n = cpus if isinstance(cpus, int) else 1
        busy = {b: m["loadavg_1m"] for b, m in meta.items() if m.get("loadavg_1m", 0) > cpus_n / 2}
        if busy:
            print(
                f"WARNING: machine was busy at start (1-min load average {busy}); figures are noisy"
            )
        print()
        print_table(rows)
        print(f"\nwritten to {(RESULTS / 'latest.json').relative_to(ROOT)}")
    failed = any(r["pass"] is False for r in rows)
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
