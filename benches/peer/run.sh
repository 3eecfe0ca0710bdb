#!/usr/bin/env bash
# Peer comparison: pireport against hand-written DuckDB SQL on the same
# Parquet. Creates a virtualenv with duckdb under ~/.cache/pireport, builds
# the release binary (unless --pireport names one), then runs compare.py.
#
#   benches/peer/run.sh --scale 0.1          # generated into $CARGO_TARGET_DIR/bench-data/scale-0.1 once
#   benches/peer/run.sh --data DIR           # an existing extract
#   benches/peer/run.sh --help               # every option
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pireport/target}"
venv="${PIREPORT_PEER_VENV:-$HOME/.cache/pireport/peer-venv}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
  "$venv/bin/pip" install --quiet 'duckdb>=1.1'
fi

build=1
for a in "$@"; do
  case "$a" in --pireport|--pireport=*|-h|--help) build=0 ;; esac
done
# the target directory may be shared with other checkouts, whose builds
# replace release/pireport: time a private copy of the one built here
bin_dir="$(mktemp -d)"
trap 'rm -rf "$bin_dir"' EXIT
if [ "$build" = 1 ]; then
  (cd "$repo" && cargo build --release --bin pireport)
  cp "$CARGO_TARGET_DIR/release/pireport" "$bin_dir/pireport"
fi
"$venv/bin/python" "$repo/benches/peer/compare.py" \
  --pireport-default "$bin_dir/pireport" \
  --target-dir "$CARGO_TARGET_DIR" "$@"
