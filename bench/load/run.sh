#!/usr/bin/env bash
# Whole-system load benchmark of the Ringfence server (issue 5, section 5).
#  1. starts `ringfence serve` (Release, SQLite in a temp dir) on a free loopback port;
#  2. enrolls a fleet of HOSTS hosts (default 100,000) with seed-fleet.cs, publishes a channel file and rolls it
#     out to everyone, and writes one check-in request per host;
#  3. wrk: check-ins without ETag (200 with the full answer), check-ins with ETag (the steady state: 304),
#     telemetry batches of BATCH events;
#  4. the same wrk run against nginx serving a static file of the check-in answer's size: the ceiling;
#  5. the server's CPU time per check-in, from /proc/PID/stat.
# Usage: bench/load/run.sh [HOSTS] [DURATION_SECONDS] [CONNECTIONS]
# Installs wrk and nginx with apt-get when missing. Prints a Markdown table at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."

HOSTS=${1:-100000}
DURATION=${2:-20}
CONNECTIONS=${3:-64}
THREADS=${THREADS:-2}
BATCH=${BATCH:-100}
ADMIN_KEY=bench-admin-key-0123456789abcdef
ENROLL_TOKEN=bench-enroll-token-0123456789abcdef

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "run.sh: installing ${missing[*]} with apt-get"
  $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d /tmp/ringfence-bench.XXXXXX)
server_pid=""; nginx_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
result() { grep '^RESULT' "$1" | sed 's/^RESULT //'; }
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1==k {print $2}'; }

echo "== building (Release)"
dotnet build src/Ringfence.Cli -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
CLI=src/Ringfence.Cli/bin/Release/net10.0/ringfence

PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
echo "== starting ringfence serve on $URL (data in $work/data)"
RINGFENCE__BOOTSTRAPADMINKEY=$ADMIN_KEY \
RINGFENCE__BOOTSTRAPENROLLMENTTOKEN=$ENROLL_TOKEN \
RINGFENCE__AGENTREQUESTSPERSECOND=1000000 \
RINGFENCE__OPERATORREQUESTSPERSECOND=1000000 \
Logging__LogLevel__Default=Warning \
  "$CLI" serve --data "$work/data" --urls "$URL" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fsS "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "$URL/healthz" >/dev/null || { echo "server did not start:"; cat "$work/server.log"; exit 1; }

echo "== enrolling $HOSTS hosts and writing their check-in requests"
dotnet run -c Release bench/load/seed-fleet.cs -- --server "$URL" --admin-key "$ADMIN_KEY" --token "$ENROLL_TOKEN" \
  --hosts "$HOSTS" --out "$work" --batch "$BATCH" --examples examples
ANSWER_BYTES=$(stat -c %s "$work/answer.json")
echo "   check-in answer: $ANSWER_BYTES bytes"

run_wrk() { # name script args...
  local name=$1; shift
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" >"$work/$name.txt" 2>&1
  result "$work/$name.txt"
}

echo "== warm-up (5 s)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s bench/load/checkin.lua "$URL" -- "$work/requests.tsv" >/dev/null 2>&1

echo "== check-ins, full answer (${DURATION} s, $CONNECTIONS connections)"
before=$(cpu_ticks "$server_pid")
checkin=$(run_wrk checkin -s bench/load/checkin.lua "$URL" -- "$work/requests.tsv")
after=$(cpu_ticks "$server_pid")
echo "   $checkin"
hz=$(getconf CLK_TCK)
checkin_requests=$(field "$checkin" requests)
cpu_us_per_checkin=$(awk -v a="$after" -v b="$before" -v hz="$hz" -v n="$checkin_requests" 'BEGIN { printf "%.1f", (a - b) / hz * 1e6 / n }')

echo "== check-ins with ETag (steady state, 304)"
before304=$(cpu_ticks "$server_pid")
checkin304=$(run_wrk checkin304 -s bench/load/checkin.lua "$URL" -- "$work/requests.tsv" etag)
after304=$(cpu_ticks "$server_pid")
echo "   $checkin304"
cpu_us_per_304=$(awk -v a="$after304" -v b="$before304" -v hz="$hz" -v n="$(field "$checkin304" requests)" 'BEGIN { printf "%.1f", (a - b) / hz * 1e6 / n }')

echo "== telemetry, batches of $BATCH events"
telemetry=$(run_wrk telemetry -s bench/load/telemetry.lua "$URL" -- "$work/telemetry.tsv" "$BATCH")
echo "   $telemetry"
events_per_s=$(awk -v r="$(field "$telemetry" rps)" -v b="$BATCH" 'BEGIN { printf "%.0f", r * b }')

kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

echo "== nginx ceiling: static file of $ANSWER_BYTES bytes"
NPORT=$(free_port)
mkdir -p "$work/nginx/www" "$work/nginx/tmp"
cp "$work/answer.json" "$work/nginx/www/answer.json"
# nginx workers run unprivileged: they must be able to read the file (mktemp -d makes a 0700 directory).
chmod a+x "$work"; chmod -R a+rX "$work/nginx"
sed -e "s#__ROOT__#$work/nginx#g" -e "s#__PORT__#$NPORT#g" -e "s#__WORKERS__#${NGINX_WORKERS:-2}#g" \
  bench/load/nginx.conf.template >"$work/nginx/nginx.conf"
"$NGINX" -c "$work/nginx/nginx.conf" -p "$work/nginx" &
nginx_pid=$!
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$NPORT/answer.json" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$NPORT/answer.json" >/dev/null || { echo "nginx does not serve the file:"; cat "$work/nginx/error.log"; exit 1; }
wrk -t"$THREADS" -c"$CONNECTIONS" -d5s "http://127.0.0.1:$NPORT/answer.json" >/dev/null 2>&1
nginx=$(run_wrk nginx -s bench/load/static.lua "http://127.0.0.1:$NPORT/answer.json")
echo "   $nginx"

ratio=$(awk -v a="$(field "$checkin" rps)" -v b="$(field "$nginx" rps)" 'BEGIN { printf "%.2f", a / b }')

cat <<TABLE

| Measure | Value |
|---|---|
| Enrolled hosts | $HOSTS |
| Check-in answer size | $ANSWER_BYTES bytes |
| Check-ins/s (200, full answer) | $(field "$checkin" rps) |
| Check-in p50 / p99 (200) | $(field "$checkin" p50_ms) ms / $(field "$checkin" p99_ms) ms |
| Check-ins/s (304, with ETag) | $(field "$checkin304" rps) |
| Check-in p50 / p99 (304) | $(field "$checkin304" p50_ms) ms / $(field "$checkin304" p99_ms) ms |
| Server CPU per check-in (200 / 304) | $cpu_us_per_checkin µs / $cpu_us_per_304 µs |
| nginx static file, same size: req/s, p99 | $(field "$nginx" rps), $(field "$nginx" p99_ms) ms |
| Ringfence / nginx ratio | $ratio |
| Telemetry events/s (batches of $BATCH) | $events_per_s (p99 $(field "$telemetry" p99_ms) ms) |
| Errors (non-2xx/3xx) check-in / 304 / telemetry | $(field "$checkin" non2xx3xx) / $(field "$checkin304" non2xx3xx) / $(field "$telemetry" non2xx3xx) |

wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION} s per run, keep-alive, loopback; server and wrk share the machine's $(nproc) cores.
Raw output in $work
TABLE
trap - EXIT
cleanup
