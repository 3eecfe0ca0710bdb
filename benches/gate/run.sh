#!/usr/bin/env bash
# The instruction-count regression gate: builds the gate in the bench
# profile (release settings) and runs every tracked workload under
# callgrind, comparing with benches/gate/baseline.json.
#
#   benches/gate/run.sh                  # compare; exit 1 when one grew by more than 10%
#   benches/gate/run.sh --bless          # measure and rewrite the baseline (commit it)
#   benches/gate/run.sh --repeat 2       # each workload twice; exit 2 if the counts differ by > 0.5%
#   benches/gate/run.sh --only compute   # some workloads (repeatable): compile, compute, pack_dom_one
#   benches/gate/run.sh --threshold 5    # another threshold, in percent
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pireport/target}"
command -v valgrind >/dev/null || { echo "gate: valgrind is required (apt-get install valgrind)" >&2; exit 2; }
exec cargo bench --bench gate -- "$@"
