#!/usr/bin/env bash
# Run each cargo-fuzz target (fuzz/fuzz_targets/) for a bounded time:
#
#   scripts/fuzz.sh [SECONDS]      # default 60 per target; CI runs this
#
# Seeds: the committed definitions (indicators/*.yaml) for the YAML loader,
# and fuzz/seeds/filter_expression/ (every filter of the definitions, plus
# a few more) for the filter checker. The corpus grows in a scratch
# directory, so the checkout is left as it was. A panic, an abort, a hang
# (over 10 s for one input) or memory over 4 GiB fails the run: libFuzzer
# prints the input, and the reproducer is written to fuzz/artifacts/TARGET/.
# Commit it as a case of tests/bad_inputs/ with the fix.
#
# Needs a nightly toolchain and cargo-fuzz, installed here when missing.
# The fuzz build has its own target directory, beside the CI's, so its
# nightly, instrumented DataFusion stays warm between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
target_dir="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$HOME/.cache/pireport/target}-fuzz}"
mkdir -p "$target_dir"
# (no `| grep -q` under pipefail: grep's early exit could fail the pipe)
case "$(rustup toolchain list)" in
  *nightly*) ;;
  *) rustup toolchain install nightly --profile minimal ;;
esac
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/yaml_definition" "$work/filter_expression"
cp indicators/*.yaml "$work/yaml_definition/"
cp fuzz/seeds/filter_expression/* "$work/filter_expression/"
for t in yaml_definition filter_expression; do
  mkdir -p "fuzz/artifacts/$t"
  echo "fuzzing $t for ${secs}s"
  # no sanitizer: the crate and its dependencies are safe Rust, and
  # libFuzzer still catches panics, aborts, hangs and memory blow-ups
  if ! cargo +nightly fuzz run --fuzz-dir fuzz --target-dir "$target_dir" --sanitizer none \
    "$t" "$work/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 >"$work/$t.log" 2>&1; then
    tail -n 60 "$work/$t.log" >&2
    echo "fuzz target $t failed: the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$work/$t.log" || true
done
