#!/usr/bin/env python3
"""Write indicators/laa-targets.yaml: illustrative Local Area Agreement targets
consistent with the sample extract in data-samples/.

Regenerate the shipped file with this one command, from the repository root:

    cargo run --quiet -- compute --level la --format csv | python3 scripts/make-laa-targets.py indicators/laa-targets.yaml

The script reads the LA result rows of `pireport compute` (CSV, on standard
input or from --csv FILE) and writes the targets file given as argument (or
standard output), only after the whole input has been read, so the command
above can overwrite the file `compute` itself reads. It needs python3 only.

For each LSP below and each designated indicator that has a published
(unsuppressed, sensible) value in the baseline period:
- the baseline is that LA value, exactly as `compute` prints it;
- the 2010-11 target is a plausible improvement by polarity, its size drawn
  deterministically (crc32 of area and indicator) from the ranges in
  AMBITION, so the statuses that `pireport laa` reports come out mixed;
- the 2008-09 and 2009-10 targets lie on the straight line from the baseline
  to the 2010-11 target, at the end of each year (quarter index, as the
  engine computes trajectories).

The designations are illustrative: real LAAs designated up to 35 of the 198
National Indicators; only the shipped LA-level definitions can be used here.
"""

import argparse
import csv
import math
import sys
import zlib

# Baseline period of each indicator: of its own grains (financial years,
# `2007-08 Q4` for the quarterly ones, the survey year for NI115).
BASELINE = {
    "NI40": "2007-08",
    "NI16": "2007-08",
    "NI38": "2007-08 Q4",
    "NI18": "2007-08 Q4",
    "NI30": "2007-08 Q4",
    "NI19": "2005-06",
    "PSA23.5": "2005-06",
    "NI115": "2008",
}

# Size of the 2010-11 target against the baseline: (kind, low, high).
# `relative`: value x (1 + change/100); `points`: value + change.
AMBITION = {
    "NI40": ("relative", 3.0, 8.0),  # higher is better: +3..8%
    "NI16": ("relative", -10.0, -3.0),  # lower is better: -3..10%
    "NI38": ("relative", -6.0, -2.0),  # actual/predicted slightly better
    "NI18": ("points", -5.0, -1.5),  # excess over predicted, points lower
    "NI30": ("points", -8.0, -3.0),  # % change in convictions, points lower
    "NI19": ("relative", -10.0, -3.0),
    "PSA23.5": ("relative", -10.0, -3.0),  # PSA 23: -10% by 2010-11
    "NI115": ("relative", -12.0, -4.0),
}

# Decimal places of the targets (NI40 is a count of people).
DECIMALS = {
    "NI40": 0,
    "NI16": 2,  # real rates: 5 to 40 crimes per 1,000 a year
    "NI38": 3,
    "NI18": 1,
    "NI30": 1,
    "NI19": 1,
    "PSA23.5": 1,
    "NI115": 2,
}

# Values too extreme to agree a target against (small-number noise in the
# small samples): such a designation is dropped.
SENSIBLE = {
    "NI18": lambda v: -40.0 <= v <= 40.0,
    "NI30": lambda v: -80.0 <= v <= 40.0,
    "NI19": lambda v: v > 0.0,
    "PSA23.5": lambda v: v > 0.0,
    "NI115": lambda v: v > 0.0,
    "NI38": lambda v: v > 0.0,
}

TARGET_YEARS = ["2008-09", "2009-10", "2010-11"]

ALL = ["NI40", "NI16", "NI38", "NI18", "NI30", "NI19", "PSA23.5", "NI115"]

# (GSS code, name, region, designated indicators). Names are checked
# against the data.
LSPS = [
    # North East
    ("E06000004", "Stockton-on-Tees", "North East", ["NI40", "NI16", "NI18", "PSA23.5"]),
    ("E06000047", "County Durham", "North East", ["NI40", "NI16", "NI18", "NI19", "PSA23.5"]),
    ("E08000021", "Newcastle upon Tyne", "North East", ["NI40", "NI16", "NI30", "NI19", "PSA23.5"]),
    ("E08000023", "South Tyneside", "North East", ["NI40", "NI16", "NI30", "PSA23.5"]),
    # North West
    ("E06000006", "Halton", "North West", ["NI40", "NI16", "NI18", "PSA23.5"]),
    ("E08000003", "Manchester", "North West", ALL),
    ("E08000006", "Salford", "North West", ["NI40", "NI16", "NI18", "NI30", "PSA23.5"]),
    ("E08000012", "Liverpool", "North West", ["NI40", "NI16", "NI18", "NI19", "PSA23.5"]),
    ("E10000017", "Lancashire", "North West", ["NI40", "NI16", "NI18", "NI30", "PSA23.5", "NI115"]),
    # Yorkshire and The Humber
    ("E06000012", "North East Lincolnshire", "Yorkshire and The Humber", ["NI40", "NI16", "NI18", "PSA23.5", "NI115"]),
    ("E08000019", "Sheffield", "Yorkshire and The Humber", ["NI40", "NI16", "NI18", "NI30", "NI19", "PSA23.5"]),
    ("E08000032", "Bradford", "Yorkshire and The Humber", ["NI40", "NI16", "NI18", "NI30", "NI19", "PSA23.5", "NI115"]),
    ("E08000035", "Leeds", "Yorkshire and The Humber", ["NI40", "NI16", "NI18", "NI19", "PSA23.5"]),
    # East Midlands
    ("E06000018", "Nottingham", "East Midlands", ["NI40", "NI30", "NI19", "PSA23.5"]),
    ("E10000018", "Leicestershire", "East Midlands", ["NI40", "NI16", "NI30", "NI19", "PSA23.5", "NI115"]),
    ("E10000021", "Northamptonshire", "East Midlands", ["NI40", "NI16", "NI18", "NI30", "NI19", "PSA23.5", "NI115"]),
    # West Midlands
    ("E08000025", "Birmingham", "West Midlands", ["NI40", "NI16", "NI18", "NI30", "NI19", "PSA23.5"]),
    ("E06000021", "Stoke-on-Trent", "West Midlands", ["NI40", "NI16", "NI30", "NI19", "PSA23.5"]),
    ("E10000028", "Staffordshire", "West Midlands", ["NI40", "NI16", "NI18", "NI19", "PSA23.5"]),
    # East of England
    ("E10000012", "Essex", "East of England", ["NI40", "NI16", "NI18", "NI30", "NI19", "PSA23.5", "NI115"]),
    ("E10000020", "Norfolk", "East of England", ["NI40", "NI16", "NI18", "NI30", "NI19", "PSA23.5", "NI115"]),
    ("E10000003", "Cambridgeshire", "East of England", ["NI40", "NI16", "NI30", "NI19", "PSA23.5"]),
    ("E06000034", "Thurrock", "East of England", ["NI40", "NI16", "NI18", "PSA23.5", "NI115"]),
    # London
    ("E09000014", "Haringey", "London", ["NI40", "NI16", "NI30", "NI19", "PSA23.5"]),
    ("E09000020", "Kensington and Chelsea", "London", ["NI40", "NI16", "NI18", "PSA23.5", "NI115"]),
    ("E09000021", "Kingston upon Thames", "London", ["NI40", "NI16", "NI30", "PSA23.5"]),
    ("E09000028", "Southwark", "London", ["NI40", "NI16", "NI18", "PSA23.5"]),
    # South East
    ("E06000036", "Bracknell Forest", "South East", ["NI40", "NI16", "NI18", "PSA23.5", "NI115"]),
    ("E10000014", "Hampshire", "South East", ["NI40", "NI16", "NI18", "NI30", "NI19", "PSA23.5", "NI115"]),
    ("E10000016", "Kent", "South East", ["NI40", "NI16", "NI30", "NI19", "PSA23.5", "NI115"]),
    ("E10000032", "West Sussex", "South East", ["NI40", "NI16", "NI18", "NI30", "PSA23.5", "NI115"]),
    # South West
    ("E06000023", "Bristol", "South West", ["NI40", "NI16", "NI30", "NI19", "PSA23.5"]),
    ("E06000052", "Cornwall", "South West", ["NI40", "NI16", "NI18", "NI30", "NI19", "PSA23.5"]),
    ("E10000008", "Devon", "South West", ["NI40", "NI16", "NI30", "NI19", "PSA23.5", "NI115"]),
    # Wales
    ("W06000015", "Cardiff", "Wales", ["NI40", "NI16", "PSA23.5"]),
    ("W06000022", "Newport", "Wales", ["NI40", "NI16", "NI30", "PSA23.5"]),
    ("W06000010", "Carmarthenshire", "Wales", ["NI40", "NI16", "NI18", "PSA23.5"]),
    ("W06000011", "Swansea", "Wales", ["NI40", "NI16", "PSA23.5"]),
]


def end_quarter_index(period):
    """Quarter (from 2000 Q1, January-March) in which a period ends."""
    if " " in period:  # `2007-08 Q4`
        fy, q = period.split(" ")
        start = int(fy[:4])
        month = {"Q1": 6, "Q2": 9, "Q3": 12, "Q4": 3}[q]
        year = start + 1 if q == "Q4" else start
    elif "-" in period:  # financial year `2007-08`: ends in March
        year, month = int(period[:4]) + 1, 3
    else:  # calendar year `2008`: ends in December
        year, month = int(period), 12
    return (year - 2000) * 4 + (month - 1) // 3


def ambition(area, indicator):
    kind, low, high = AMBITION[indicator]
    share = (zlib.crc32(f"{area}:{indicator}".encode()) % 1000) / 999.0
    return kind, low + share * (high - low)


def final_target(area, indicator, base):
    kind, change = ambition(area, indicator)
    if kind == "relative":
        t = base * (1.0 + change / 100.0)
    else:
        t = base + change
    if indicator == "NI40":  # a whole number of people, at least one more
        t = max(round(t), round(base) + 1)
    return t


def fmt(x, decimals):
    s = f"{x:.{decimals}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def read_rows(stream):
    values, names = {}, {}
    for r in csv.DictReader(stream):
        if r["area_level"] != "la":
            continue
        names[r["area_code"]] = r["area_name"]
        if r["value"] not in ("", "*"):
            values[(r["indicator"], r["area_code"], r["period"])] = r["value"]
    return values, names


def build(values, names):
    out = []
    for code, name, region, wanted in LSPS:
        if names.get(code) != name:
            sys.exit(f"{code}: the data name it {names.get(code)!r}, not {name!r}")
        lines = []
        for ind in wanted:
            bp = BASELINE[ind]
            text = values.get((ind, code, bp))
            if text is None:
                continue
            base = float(text)
            if not SENSIBLE.get(ind, lambda v: True)(base):
                continue
            final = final_target(code, ind, base)
            b, e = end_quarter_index(bp), end_quarter_index(TARGET_YEARS[-1])
            targets = []
            for y in TARGET_YEARS:
                share = (end_quarter_index(y) - b) / (e - b)
                t = base + share * (final - base)
                if ind == "NI40":  # whole people, above the baseline every year
                    t = math.ceil(t - 1e-9)
                targets.append((y, fmt(t, DECIMALS[ind])))
            lines.append((ind, bp, text, targets))
        if len(lines) < 3:
            sys.exit(f"{code} {name}: only {len(lines)} usable designations")
        out.append((code, name, region, lines))
    return out


HEADER = """\
# Local Area Agreement targets, 2008-11: one entry per LSP (LAA area) and
# designated indicator. Illustrative, consistent with data-samples/: each
# baseline is that LA's own value in the sample; the targets are plausible
# improvements on it, on a straight line to 2010-11.
# Check with `pireport validate`; report with `pireport laa --area CODE`.
#
# Generated; do not edit by hand. Regenerate with, from the repository root:
#   cargo run --quiet -- compute --level la --format csv | python3 scripts/make-laa-targets.py indicators/laa-targets.yaml
"""


def render(areas):
    parts = [HEADER]
    for code, name, region, lines in areas:
        parts.append(f"\n# {code} {name} ({region}): {len(lines)} designated\n")
        for ind, bp, text, targets in lines:
            ts = ", ".join(f'"{y}": {v}' for y, v in targets)
            parts.append(
                f"- area: {code}\n"
                f"  indicator: {ind}\n"
                f'  baseline: {{ period: "{bp}", value: {text} }}\n'
                f"  targets: {{ {ts} }}\n"
            )
    return "".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", help="output file (standard output when omitted)")
    ap.add_argument("--csv", help="CSV of `pireport compute` (standard input when omitted)")
    args = ap.parse_args()
    if args.csv:
        with open(args.csv, newline="") as f:
            values, names = read_rows(f)
    else:
        values, names = read_rows(sys.stdin)
    if not values:
        sys.exit("no LA rows with values on input: pipe `pireport compute --level la --format csv`")
    text = render(build(values, names))
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
        n = text.count("- area:")
        print(f"wrote {n} targets to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
