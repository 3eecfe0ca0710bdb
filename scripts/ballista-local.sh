#!/usr/bin/env bash
# Compute every indicator on a loopback Apache DataFusion Ballista cluster
# (one scheduler, two executors) and compare with the local run.
#
#   scripts/ballista-local.sh [SCALE]        # SCALE defaults to 0.01 (small)
#
# 1. installs ballista-scheduler and ballista-executor $BALLISTA_VERSION into
#    $BALLISTA_BIN_DIR (default ~/.cache/pireport/ballista-bin), unless there;
# 2. builds pireport in release with --features ballista (or uses $PIREPORT_BIN);
# 3. generates an extract (`pireport generate --scale SCALE --seed 2008`), or
#    uses $PIREPORT_DATA if set;
# 4. starts the scheduler and two executors on 127.0.0.1 (ports from
#    $SCHEDULER_PORT, default 50150, upwards), waits for both executors;
# 5. runs `pireport compute` locally and with --ballista, times both and
#    byte-compares the CSV tables;
# 6. stops everything it started (also on failure or Ctrl-C).
# Exit status: 0 when the tables are identical, 1 otherwise.
#
# KILL_EXECUTOR_AFTER=SECS kills the second executor (SIGKILL, as a crash
# would) that many seconds into the cluster run, to see what the run does
# when an executor dies. The scheduler declares it dead after
# EXECUTOR_TIMEOUT seconds without a heartbeat (default 180 as in Ballista;
# the executors then beat every EXECUTOR_TIMEOUT/3 seconds, at most
# Ballista's 60; the check runs every EXPIRE_INTERVAL seconds, default 15).
# Then Ballista's adaptive planner, which pireport uses, either finishes
# the job on the survivor (the script then compares the figures as usual)
# or stalls until --ballista-query-timeout (QUERY_TIMEOUT, default 3600)
# fails the run, non-zero, writing nothing; the script reports which.
# Scratch files go to $WORK_DIR (default: a new temp dir, removed at the end
# unless KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."

SCALE="${1:-0.01}"
BALLISTA_VERSION=55.0.0
BIN_DIR="${BALLISTA_BIN_DIR:-$HOME/.cache/pireport/ballista-bin}"
SCHEDULER_PORT="${SCHEDULER_PORT:-50150}"
EXECUTOR_VCORES="${EXECUTOR_VCORES:-1}"
EXECUTOR_TIMEOUT="${EXECUTOR_TIMEOUT:-180}"
EXPIRE_INTERVAL="${EXPIRE_INTERVAL:-15}"
QUERY_TIMEOUT="${QUERY_TIMEOUT:-3600}"
KILL_EXECUTOR_AFTER="${KILL_EXECUTOR_AFTER:-}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pireport/target}"

say() { printf '%s\n' "ballista-local: $*" >&2; }
die() { say "$*"; exit 1; }

# an executor beating less often than the scheduler's timeout is declared dead
HEARTBEAT=$((EXECUTOR_TIMEOUT / 3 < 60 ? EXECUTOR_TIMEOUT / 3 : 60))
[ "$HEARTBEAT" -ge 1 ] || die "EXECUTOR_TIMEOUT must be at least 3 seconds"

pids=()
WORK="${WORK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/pireport-ballista.XXXXXX")}"
mkdir -p "$WORK/logs"
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.2
  done
  for pid in "${pids[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "${KEEP:-0}" = 1 ] || [ "$status" != 0 ]; then
    say "scratch files and logs kept in $WORK"
  elif [ -z "${WORK_DIR:-}" ]; then
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- 1. the Ballista binaries -------------------------------------------
install_ballista() {
  local missing=()
  for b in ballista-scheduler ballista-executor; do
    if ! "$BIN_DIR/bin/$b" --version 2>/dev/null | grep -q " $BALLISTA_VERSION"; then
      missing+=("$b@$BALLISTA_VERSION")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return
  say "installing ${missing[*]} into $BIN_DIR (once; about 15 minutes on 2 cores)"
  # a build directory of their own, so the shared pireport cache is untouched
  CARGO_TARGET_DIR="$BIN_DIR/build" cargo install --locked --root "$BIN_DIR" "${missing[@]}"
  rm -rf "$BIN_DIR/build"
}
install_ballista
SCHEDULER_BIN="$BIN_DIR/bin/ballista-scheduler"
EXECUTOR_BIN="$BIN_DIR/bin/ballista-executor"

# --- 2. pireport with the feature ---------------------------------------
if [ -n "${PIREPORT_BIN:-}" ]; then
  PIREPORT="$PIREPORT_BIN"
else
  say "building pireport (release, --features ballista)"
  cargo build --release --features ballista --bin pireport
  PIREPORT="$CARGO_TARGET_DIR/release/pireport"
fi
[ -x "$PIREPORT" ] || die "no pireport binary at $PIREPORT"

# --- 3. the extract -----------------------------------------------------
if [ -n "${PIREPORT_DATA:-}" ]; then
  DATA="$(cd "$PIREPORT_DATA" && pwd)"
  say "using the extract in $DATA"
else
  DATA="$WORK/data"
  say "generating an extract at scale $SCALE in $DATA"
  "$PIREPORT" generate --scale "$SCALE" --seed 2008 --out "$DATA"
fi

# --- 4. the cluster -----------------------------------------------------
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ports=()
for i in 0 1 2 3 4 5 6; do ports+=($((SCHEDULER_PORT + i))); done
for p in "${ports[@]}"; do
  port_open "$p" && die "port $p on 127.0.0.1 is in use: set SCHEDULER_PORT to the first of 7 free ports"
done

say "starting ballista-scheduler $BALLISTA_VERSION on 127.0.0.1:${ports[0]}"
"$SCHEDULER_BIN" --bind-host 127.0.0.1 --external-host 127.0.0.1 --bind-port "${ports[0]}" \
  --executor-timeout-seconds "$EXECUTOR_TIMEOUT" \
  --expire-dead-executor-interval-seconds "$EXPIRE_INTERVAL" \
  >"$WORK/logs/scheduler.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do port_open "${ports[0]}" && break; sleep 0.1; done
port_open "${ports[0]}" || die "the scheduler did not start: see $WORK/logs/scheduler.log"

for n in 1 2; do
  base=$((1 + (n - 1) * 3))
  mkdir -p "$WORK/executor$n"
  "$EXECUTOR_BIN" --bind-host 127.0.0.1 --external-host 127.0.0.1 \
    --scheduler-host 127.0.0.1 --scheduler-port "${ports[0]}" \
    --bind-port "${ports[$base]}" --bind-grpc-port "${ports[$((base + 1))]}" \
    --bind-health-port "${ports[$((base + 2))]}" \
    --vcores "$EXECUTOR_VCORES" --work-dir "$WORK/executor$n" \
    --executor-heartbeat-interval-seconds "$HEARTBEAT" \
    >"$WORK/logs/executor$n.log" 2>&1 &
  pids+=($!)
done

registered() {
  curl -fsS "http://127.0.0.1:${ports[0]}/api/executors" 2>/dev/null | grep -o '"id"' | wc -l
}
for _ in $(seq 1 300); do [ "$(registered)" -ge 2 ] && break; sleep 0.1; done
[ "$(registered)" -ge 2 ] || die "the executors did not register: see $WORK/logs/"
say "scheduler $(curl -fsS "http://127.0.0.1:${ports[0]}/api/version"), 2 executors registered"

# --- 5. local against cluster -------------------------------------------
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

say "computing locally"
t0=$(now)
"$PIREPORT" compute --data "$DATA" --out "$WORK/local.csv" 2>"$WORK/logs/local.log"
t1=$(now)
say "computing on the cluster (df://127.0.0.1:${ports[0]})"
"$PIREPORT" compute --data "$DATA" --ballista "df://127.0.0.1:${ports[0]}" \
  --ballista-query-timeout "$QUERY_TIMEOUT" \
  --out "$WORK/cluster.csv" 2>"$WORK/logs/cluster.log" &
client=$!
pids+=("$client")
if [ -n "$KILL_EXECUTOR_AFTER" ]; then
  sleep "$KILL_EXECUTOR_AFTER"
  if kill -0 "$client" 2>/dev/null; then
    say "killing executor 2 (pid ${pids[2]}) $KILL_EXECUTOR_AFTER s into the cluster run"
    kill -9 "${pids[2]}" 2>/dev/null || say "executor 2 had already stopped: see $WORK/logs/executor2.log"
  else
    say "the cluster run ended within $KILL_EXECUTOR_AFTER s: no executor killed"
  fi
fi
client_status=0
wait "$client" || client_status=$?
t2=$(now)
if [ "$client_status" != 0 ]; then
  KEEP=1
  say "the cluster run failed (exit $client_status) after $(elapsed "$t1" "$t2") s${KILL_EXECUTOR_AFTER:+ (executor 2 killed at $KILL_EXECUTOR_AFTER s)}:"
  sed 's/^/  /' "$WORK/logs/cluster.log" >&2
  [ -e "$WORK/cluster.csv" ] && die "and left $WORK/cluster.csv behind"
  exit 1
fi

rows=$(($(wc -l <"$WORK/local.csv") - 1))
local_s=$(elapsed "$t0" "$t1")
cluster_s=$(elapsed "$t1" "$t2")
if cmp -s "$WORK/local.csv" "$WORK/cluster.csv"; then
  say "identical: $rows result rows; local ${local_s} s, cluster ${cluster_s} s (scale $SCALE${KILL_EXECUTOR_AFTER:+; executor 2 killed at $KILL_EXECUTOR_AFTER s})"
else
  KEEP=1
  say "DIFFERENT results: see $WORK/local.csv and $WORK/cluster.csv; local ${local_s} s, cluster ${cluster_s} s"
  exit 1
fi
