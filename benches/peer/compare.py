#!/usr/bin/env python3
"""pireport against DuckDB on the same extract.

Times the release `pireport compute` for all indicators and for each one
(`--indicator ID`, with `--timings`, so the scan floor is printed beside
it), times the hand-written DuckDB SQL in `benches/peer/sql/ID.sql` per
indicator and in total (same thread count), checks that both give the same
numerator and denominator for every LA x computed period, and prints
pireport time, DuckDB time and their ratio.

Every definition in the indicators directory needs its `sql/ID.sql`, a
second implementation written from `indicators.md` of the spec: one
DuckDB query over views named after the extract's tables and a temp table
`periods(period, p_start, p_end, p_year)` of the periods pireport computed
for that indicator (not-yet-available ones left out): a financial year, a
quarter, the 12 months ending with a quarter for a `rolling_quarter`
indicator, or a calendar year (survey years match `p_year`). It returns
`period, la_code, numerator, denominator`, the denominator NULL for a
count.

Run it through `benches/peer/run.sh`, which creates the virtualenv with
duckdb and builds the release binary. Exit status: 0 when every figure
agrees, 1 on any mismatch, 2 when something could not run.

Fairness notes:
- pireport's time is its own `compute wall time` (loading and validating
  the definitions, opening the tables, every plan, assessment); DuckDB's
  runs from connecting to the last row fetched (views over the same
  Parquet files, the periods table, the queries). Both run in fresh
  processes, after the files were read once to warm the page cache.
- Both get the same number of threads (`--threads`, default 2): DuckDB by
  `SET threads`, pireport by CPU affinity (taskset) when the machine has
  more cores than that (pireport uses one partition per available core).
- The definitions are copied with `disclosure_threshold: 1`, so no LA
  figure is suppressed in the CSV that is compared; suppression is applied
  after computing and costs nothing measurable.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SQL_DIR = HERE / "sql"
SEED = 2008
NYA = "not yet available"
# sums of non-integer measures (predicted counts, survey weights) agree to
# the CSV's 6 decimal places (half a unit of the last one, plus DuckDB's
# and pireport's different summation order); counts agree exactly within it
ABS_TOL = 0.5e-6 + 1e-9
REL_TOL = 1e-9


class PeerError(Exception):
    """Something could not run (exit status 2)."""


# ---------------------------------------------------------------------------
# Periods (parsed here, as the spec defines them)
# ---------------------------------------------------------------------------


def label_span(label: str, rolling: bool) -> tuple[dt.date, dt.date, int]:
    """First day, last day and first calendar year of a period label.

    `2008` calendar year; `2008-09` 1 April 2008 to 31 March 2009;
    `2008-09 Q1` April-June 2008, or the 12 months ending with it when
    `rolling`.
    """
    m = re.fullmatch(r"(\d{4})", label)
    if m:
        y = int(m.group(1))
        return dt.date(y, 1, 1), dt.date(y, 12, 31), y
    m = re.fullmatch(r"(\d{4})-(\d{2})(?: Q([1-4]))?", label)
    if not m:
        raise PeerError(f"unparseable period label {label!r}")
    y, q = int(m.group(1)), m.group(3)
    if q is None:
        return dt.date(y, 4, 1), dt.date(y + 1, 3, 31), y
    q = int(q)
    start = dt.date(y + 1, 1, 1) if q == 4 else dt.date(y, 4 + 3 * (q - 1), 1)
    nxt = dt.date(start.year + (start.month + 3 > 12), (start.month + 2) % 12 + 1, 1)
    end = nxt - dt.timedelta(days=1)
    if rolling:
        start = dt.date(nxt.year - 1, nxt.month, 1)
    return start, end, y


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


def scale_name(scale: float) -> str:
    """`scale-0.1`, `scale-1`: as the criterion benches name them."""
    return f"scale-{scale:g}"


def resolve_data(args, pireport: Path) -> Path:
    if args.data:
        data = Path(args.data)
        if not (data / "manifest.yaml").is_file():
            raise PeerError(f"{data} is not an extract (no manifest.yaml)")
        return data
    root = Path(args.target_dir) / "bench-data"
    data = root / scale_name(args.scale)
    if (data / "manifest.yaml").is_file():
        return data
    root.mkdir(parents=True, exist_ok=True)
    partial = root / f".{scale_name(args.scale)}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    print(f"generating --scale {args.scale:g} into {data} (once; reused after)", file=sys.stderr)
    run_checked([str(pireport), "generate", "--scale", f"{args.scale:g}", "--seed", str(SEED),
                 "--out", str(partial)])
    partial.rename(data)
    return data


def run_checked(cmd: list[str]) -> None:
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise PeerError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")


def indicator_grains(indicators: Path) -> dict[str, list[str]]:
    """Indicator id -> grains, read from the definitions' top-level keys."""
    out = {}
    for f in sorted(indicators.glob("*.yaml")):
        text = f.read_text()
        id_ = re.search(r"^id:\s*\"?([^\s\"#]+)", text, re.M)
        grains = re.search(r"^grains:\s*\[([^\]]*)\]", text, re.M)
        if id_ and grains:
            out[id_.group(1)] = [g.strip() for g in grains.group(1).split(",")]
    return out


def unsuppressed_copy(indicators: Path, dest: Path) -> Path:
    """The definitions with every disclosure threshold at 1 (nothing suppressed)."""
    shutil.copytree(indicators, dest)
    for f in dest.glob("*.yaml"):
        text = f.read_text()
        new = re.sub(r"^disclosure_threshold:\s*\d+", "disclosure_threshold: 1", text, flags=re.M)
        if new != text:
            f.write_text(new)
    return dest


def tables(data: Path) -> dict[str, str]:
    """Table name -> DuckDB read_parquet argument."""
    out = {}
    for p in sorted(data.iterdir()):
        if p.is_file() and p.suffix == ".parquet":
            out[p.stem] = str(p)
        elif p.is_dir() and any(p.glob("*.parquet")):
            out[p.name.removesuffix(".parquet")] = str(p / "*.parquet")
    return out


def warm_page_cache(data: Path) -> None:
    for p in data.rglob("*.parquet"):
        with open(p, "rb") as f:
            while f.read(1 << 24):
                pass


# ---------------------------------------------------------------------------
# Running pireport
# ---------------------------------------------------------------------------


def timed_process(cmd: list[str]) -> tuple[float, int, str, int]:
    """Wall seconds, exit status, standard error and peak RSS (KiB) of a process."""
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return wall, p.returncode, err.read().decode(errors="replace"), usage.ru_maxrss


def pin(cmd: list[str], threads: int) -> list[str]:
    if (os.cpu_count() or 1) > threads and shutil.which("taskset"):
        return ["taskset", "-c", f"0-{threads - 1}", *cmd]
    return cmd


def run_pireport(pireport: Path, indicators: Path, data: Path, out: Path,
                 ids: list[str], threads: int) -> dict:
    cmd = [str(pireport), "compute", "--indicators", str(indicators), "--data", str(data),
           "--level", "la", "--format", "csv", "--out", str(out), "--timings"]
    for i in ids:
        cmd += ["--indicator", i]
    wall, code, stderr, rss = timed_process(pin(cmd, threads))
    if code != 0:
        raise PeerError(f"{' '.join(cmd)} failed ({code}):\n{stderr}")
    compute = re.search(r"^compute wall time ([\d.]+) s", stderr, re.M)
    floor = re.search(r"^scan floor\s+(\d+)\s+(\d+)\s+([\d.]+)\s*$", stderr, re.M)
    if not compute or not floor:
        raise PeerError(f"no timings in the output of {' '.join(cmd)}:\n{stderr}")
    head = re.search(r"^table\s+rows\s+columns", stderr, re.M)
    table = stderr[head.start():floor.end()] if head else ""
    return {"seconds": float(compute.group(1)), "wall": wall, "rss_kib": rss,
            "floor": float(floor.group(3)), "floor_rows": int(floor.group(1)),
            "floor_table": table}


def read_pireport_csv(path: Path) -> dict:
    """indicator -> {"periods": set, "las": set, "rows": {(period, la): (num, den)}}."""
    out: dict = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if r["area_level"] != "la":
                continue
            ind = out.setdefault(r["indicator"], {"periods": set(), "las": set(), "rows": {}})
            ind["las"].add(r["area_code"])
            if r["status"] == NYA:
                continue
            ind["periods"].add(r["period"])
            ind["rows"][(r["period"], r["area_code"])] = (
                number(r["numerator"]), number(r["denominator"]))
    return out


def number(text: str):
    if text == "":
        return None
    if text == "*":
        return "*"
    return float(text)


# ---------------------------------------------------------------------------
# Running DuckDB (in a worker process: fresh state, its own peak RSS)
# ---------------------------------------------------------------------------


def periods_sql(labels: list[str], rolling: bool) -> str:
    rows = []
    for label in sorted(labels):
        s, e, y = label_span(label, rolling)
        rows.append(f"('{label}', DATE '{s}', DATE '{e}', {y})")
    return ("CREATE OR REPLACE TEMP TABLE periods AS SELECT * FROM (VALUES "
            + ", ".join(rows) + ") AS t(period, p_start, p_end, p_year)")


def worker() -> None:
    """Read a job on stdin, run it, write the results on stdout (JSON)."""
    import duckdb

    job = json.load(sys.stdin)
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {int(job['threads'])}")
    for name, path in job["tables"].items():
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    results = {}
    for q in job["queries"]:
        t = time.perf_counter()
        con.execute(q["periods"])
        rows = con.execute(q["sql"]).fetchall()
        results[q["id"]] = {"seconds": time.perf_counter() - t,
                            "rows": [[str(r[0]), None if r[1] is None else str(r[1]),
                                      none_or_float(r[2]), none_or_float(r[3])] for r in rows]}
    json.dump({"seconds": time.perf_counter() - t0, "results": results}, sys.stdout)


def none_or_float(v):
    return None if v is None else float(v)


def run_duckdb(job: dict) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=err)
        p.stdin.write(json.dumps(job).encode())
        p.stdin.close()
        _, status, usage = os.wait4(p.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        out.seek(0)
        if code != 0:
            raise PeerError(f"DuckDB worker failed ({code}):\n{err.read().decode(errors='replace')}")
        result = json.load(out)
    result["rss_kib"] = usage.ru_maxrss
    return result


# ---------------------------------------------------------------------------
# Comparing
# ---------------------------------------------------------------------------


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if a == "*" or b == "*":
        return False
    return abs(a - b) <= ABS_TOL + REL_TOL * max(abs(a), abs(b))


def compare(ind: str, engine: dict, duck_rows: list) -> tuple[list[str], int, int]:
    """Mismatch lines, rows compared, and DuckDB rows of area codes
    pireport has no LA row for."""
    duck = {}
    foreign = 0
    for period, la, num, den in duck_rows:
        if la not in engine["las"]:
            foreign += 1
            continue
        duck[(period, la)] = (num, den)
    lines, n = [], 0
    for (period, la), (num, den) in sorted(engine["rows"].items()):
        n += 1
        d = duck.pop((period, la), None)
        if d is None:
            if num in (None, 0.0) and den in (None, 0.0):
                continue
            lines.append(f"{ind} {la} {period}: pireport numerator {num} denominator {den}, "
                         f"DuckDB has no row")
            continue
        for what, a, b in (("numerator", num, d[0]), ("denominator", den, d[1])):
            if not same(a, b):
                lines.append(f"{ind} {la} {period}: {what} pireport {a} != DuckDB {b}")
    for (period, la), (num, den) in sorted(duck.items()):
        lines.append(f"{ind} {la} {period}: DuckDB numerator {num} denominator {den}, "
                     f"pireport has no row (period not computed?)")
    return lines, n, foreign


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["seconds"])


def fmt_ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b > 0 else "-"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--scale", type=float, default=0.1,
                     help="generate (once) and use <target>/bench-data/scale-X (default 0.1)")
    src.add_argument("--data", help="an existing extract directory")
    ap.add_argument("--pireport", help="the pireport binary (default: the release build)")
    ap.add_argument("--pireport-default", help=argparse.SUPPRESS)
    ap.add_argument("--target-dir", default=os.environ.get(
        "CARGO_TARGET_DIR", str(Path.home() / ".cache/pireport/target")))
    ap.add_argument("--indicators", default=str(REPO / "indicators"),
                    help="definitions directory (default: the repository's)")
    ap.add_argument("--threads", type=int, default=2, help="threads for both engines (default 2)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each timing; the fastest counts")
    ap.add_argument("--only", action="append", default=[], metavar="ID",
                    help="only this indicator (repeatable)")
    ap.add_argument("--no-per-indicator", action="store_true",
                    help="time only the all-indicator runs")
    ap.add_argument("--show", type=int, default=20, help="mismatches shown per indicator")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker()
        return 0
    if args.threads < 1 or args.repeat < 1 or not args.scale > 0:
        ap.error("--threads and --repeat must be 1 or more, --scale positive")
    try:
        return compare_engines(args)
    except PeerError as e:
        print(f"peer: error: {e}", file=sys.stderr)
        return 2


def compare_engines(args) -> int:
    pireport = Path(args.pireport or args.pireport_default or "pireport")
    if not (pireport.is_file() and os.access(pireport, os.X_OK)):
        raise PeerError(f"no pireport binary at {pireport}: build it with "
                        "`cargo build --release` or pass --pireport")
    data = resolve_data(args, pireport).resolve()
    grains = indicator_grains(Path(args.indicators))
    ids = [i for i in grains if not args.only or i in args.only]
    if args.only and set(args.only) - set(ids):
        raise PeerError(f"unknown indicator(s): {', '.join(sorted(set(args.only) - set(ids)))}")
    missing = [i for i in ids if not (SQL_DIR / f"{i}.sql").is_file()]
    if missing:
        raise PeerError(f"no DuckDB SQL for {', '.join(missing)} in {SQL_DIR}")
    # the CSV labels a quarter and a rolling quarter alike: one periods table
    # (and one figure per LA and label) could not serve both
    both = [i for i in ids if {"quarter", "rolling_quarter"} <= set(grains[i])]
    if both:
        raise PeerError(f"{', '.join(both)}: grains quarter and rolling_quarter share "
                        "their period labels, so the figures cannot be compared")
    manifest = (data / "manifest.yaml").read_text()
    rows_line = re.search(r"^scale:\s*(\S+)", manifest, re.M)
    print(f"extract {data} (scale {rows_line.group(1) if rows_line else '?'}), "
          f"{args.threads} threads, best of {args.repeat}", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="pireport-peer-") as tmp_name:
        tmp = Path(tmp_name)
        defs = unsuppressed_copy(Path(args.indicators), tmp / "indicators")
        warm_page_cache(data)

        total_runs = []
        for _ in range(args.repeat):
            total_runs.append(run_pireport(pireport, defs, data, tmp / "all.csv",
                                           [] if not args.only else ids, args.threads))
        engine = read_pireport_csv(tmp / "all.csv")
        absent = [i for i in ids if i not in engine]
        if absent:
            raise PeerError(f"pireport computed no LA rows for {', '.join(absent)}")

        jobs = {}
        for i in ids:
            rolling = "rolling_quarter" in grains[i]
            jobs[i] = {"id": i, "sql": (SQL_DIR / f"{i}.sql").read_text(),
                       "periods": periods_sql(sorted(engine[i]["periods"]), rolling)}
        base = {"threads": args.threads, "tables": tables(data)}
        duck_total = best([run_duckdb({**base, "queries": [jobs[i] for i in ids]})
                           for _ in range(args.repeat)])

        per_engine, per_duck = {}, {}
        if not args.no_per_indicator:
            for i in ids:
                print(f"timing {i}", file=sys.stderr)
                per_engine[i] = best([run_pireport(pireport, defs, data, tmp / f"{i}.csv", [i],
                                                   args.threads) for _ in range(args.repeat)])
                per_duck[i] = best([run_duckdb({**base, "queries": [jobs[i]]})
                                    for _ in range(args.repeat)])

        w = max([10, *map(len, ids)])  # width of the id column
        failures = 0
        for i in ids:
            lines, n, foreign = compare(i, engine[i], duck_total["results"][i]["rows"])
            failures += len(lines)
            status = "agree" if not lines else f"{len(lines)} MISMATCHES"
            note = f"; {foreign} DuckDB rows of area codes not in the geography" if foreign else ""
            print(f"check {i:<{w}} {n:>6} LA x period rows, {len(engine[i]['periods'])} periods: "
                  f"{status}{note}")
            for line in lines[:args.show]:
                print(f"  {line}")
            if len(lines) > args.show:
                print(f"  ... and {len(lines) - args.show} more")

        pt = best(total_runs)
        print()
        print(pt["floor_table"].rstrip())
        print()
        head = (f"{'indicator':<{w}} {'pireport s':>10} {'DuckDB s':>9} {'ratio':>6} "
                f"{'scan floor s':>12} {'x floor':>7} {'pireport MiB':>12} {'DuckDB MiB':>10}")
        print(head)
        print("-" * len(head))
        for i in ids if per_engine else []:
            e, d = per_engine[i], per_duck[i]
            print(f"{i:<{w}} {e['seconds']:>10.3f} {d['seconds']:>9.3f} "
                  f"{fmt_ratio(e['seconds'], d['seconds']):>6} {e['floor']:>12.3f} "
                  f"{fmt_ratio(e['seconds'], e['floor']):>7} {e['rss_kib'] / 1024:>12.0f} "
                  f"{d['rss_kib'] / 1024:>10.0f}")
        print(f"{'total':<{w}} {pt['seconds']:>10.3f} {duck_total['seconds']:>9.3f} "
              f"{fmt_ratio(pt['seconds'], duck_total['seconds']):>6} {pt['floor']:>12.3f} "
              f"{fmt_ratio(pt['seconds'], pt['floor']):>7} {pt['rss_kib'] / 1024:>12.0f} "
              f"{duck_total['rss_kib'] / 1024:>10.0f}")
        if per_engine:
            s = sum(e["seconds"] for e in per_engine.values())
            d = sum(x["seconds"] for x in per_duck.values())
            print(f"{'sum':<{w}} {s:>10.3f} {d:>9.3f} {fmt_ratio(s, d):>6}")
        print()
        print("pireport s: compute wall time (definitions to assessed rows, in process); "
              "DuckDB s: connect to last row fetched; ratio = pireport / DuckDB; "
              f"scan floor: pireport reading only the columns its plans touch; "
              f"total: one run of every indicator (pireport process wall {pt['wall']:.3f} s).")
        if failures:
            print(f"\npeer: {failures} mismatching figure(s) between pireport and DuckDB")
            return 1
        return 0


if __name__ == "__main__":
    sys.exit(main())
