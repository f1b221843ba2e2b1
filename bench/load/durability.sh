#!/usr/bin/env bash
# Cost of durable commits on SQLite (issue 13, "Durability"): telemetry ingest and check-in throughput with
# PRAGMA synchronous=NORMAL against FULL, alternating N F N F on one seeded database, so both modes see the same
# machine noise. Each round restarts the server in that mode on the same data directory (credentials stay valid).
# Check-ins: each host alternates between two reports (consecutiveFailedBoots 0 and 1), so every check-in changes
# what is stored and writes it: the worst case for durable commits (an unchanged check-in writes nothing).
# Usage: bench/load/durability.sh [HOSTS] [DURATION_SECONDS] [CONNECTIONS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."

HOSTS=${1:-20000}
DURATION=${2:-15}
CONNECTIONS=${3:-32}
ROUNDS=${4:-2}
THREADS=${THREADS:-2}
BATCH=${BATCH:-20}
ADMIN_KEY=bench-admin-key-0123456789abcdef
ENROLL_TOKEN=bench-enroll-token-0123456789abcdef
command -v wrk >/dev/null || { echo "durability.sh: needs wrk (apt-get install wrk)"; exit 1; }

work=$(mktemp -d /tmp/ringfence-durability.XXXXXX)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1==k {print $2}'; }

dotnet build src/Ringfence.Cli -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
CLI=src/Ringfence.Cli/bin/Release/net10.0/ringfence
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"

start() { # mode
  RINGFENCE__BOOTSTRAPADMINKEY=$ADMIN_KEY RINGFENCE__BOOTSTRAPENROLLMENTTOKEN=$ENROLL_TOKEN \
  RINGFENCE__AGENTREQUESTSPERSECOND=1000000 RINGFENCE__OPERATORREQUESTSPERSECOND=1000000 \
  RINGFENCE__SQLITESYNCHRONOUS=$1 Logging__LogLevel__Default=Warning \
    "$CLI" serve --data "$work/data" --urls "$URL" >>"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do curl -fsS "$URL/healthz" >/dev/null 2>&1 && return; sleep 0.2; done
  echo "server did not start:"; cat "$work/server.log"; exit 1
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

echo "== seeding $HOSTS hosts"
start Full
dotnet run -c Release bench/load/seed-fleet.cs -- --server "$URL" --admin-key "$ADMIN_KEY" --token "$ENROLL_TOKEN" \
  --hosts "$HOSTS" --out "$work" --batch "$BATCH" --examples examples >/dev/null
stop
# Every host twice, first with 0 failed boots then with 1: cycling through the file, each check-in changes the report.
cp "$work/requests.tsv" "$work/writes.tsv"
sed 's/"consecutiveFailedBoots":0/"consecutiveFailedBoots":1/' "$work/requests.tsv" >>"$work/writes.tsv"

printf '| Round | Mode | Telemetry batches/s (events/s) | Telemetry p50 / p99 ms | Writing check-ins/s | Check-in p50 / p99 ms | Errors |\n|---|---|---|---|---|---|---|\n' >"$work/table.md"
for round in $(seq 1 "$ROUNDS"); do
  for mode in Normal Full; do
    start "$mode"
    checkin=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/load/checkin.lua "$URL" -- "$work/writes.tsv" 2>&1 | grep '^RESULT' | sed 's/^RESULT //')
    telemetry=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/load/telemetry.lua "$URL" -- "$work/telemetry.tsv" "$BATCH" 2>&1 | grep '^RESULT' | sed 's/^RESULT //')
    stop
    events=$(awk -v r="$(field "$telemetry" rps)" -v b="$BATCH" 'BEGIN { printf "%.0f", r * b }')
    line="| $round | $mode | $(field "$telemetry" rps) ($events) | $(field "$telemetry" p50_ms) / $(field "$telemetry" p99_ms) | $(field "$checkin" rps) | $(field "$checkin" p50_ms) / $(field "$checkin" p99_ms) | $(field "$telemetry" non2xx3xx) / $(field "$checkin" non2xx3xx) |"
    echo "$line" | tee -a "$work/table.md"
  done
done
echo
cat "$work/table.md"
echo
echo "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION} s per run, batches of $BATCH events; $(nproc) cores shared; data on $(df -P "$work" | awk 'NR==2 {print $1}')"
