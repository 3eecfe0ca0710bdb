#!/usr/bin/env bash
# Per-class counts of the bad-input corpus (tests/bad_inputs/), never failing:
#   scripts/bad-inputs-counts.sh                 # this checkout's binary
#   scripts/bad-inputs-counts.sh /path/pireport  # another build (e.g. "before")
# BAD_INPUTS_TIMEOUT (default 30 s per case; known-open hangs get 5 s) and
# BAD_INPUTS_THREADS apply.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 1 ]; then export BAD_INPUTS_BIN="$1"; fi
BAD_INPUTS_REPORT=1 cargo test --test bad_inputs -- --nocapture 2>&1 \
  | sed -n '/cases with /,$p' | grep -v '^test \|^$\|test result'
