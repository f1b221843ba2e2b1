#!/usr/bin/env bash
# Refreshes the README's pictures with a real Chromium (Debian's /usr/bin/chromium, headless):
#   report-outcome.png, report-over-time.png, report-by-sector.png: the HTML report of `ringfence replay july-19`
#     (full scale; SCALE=0.01 for a quick look, or REPORT=path to screenshot a report you already have),
#     one picture per section;
#   dashboard-*.png: the dashboard's browser tests (RINGFENCE_UPDATE_DOCS_IMAGES=1 copies their screenshots here).
# Usage: docs/images/refresh.sh          (SKIP_DASHBOARD=1 to do only the report)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/docs/images"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chromium=${CHROMIUM:-/usr/bin/chromium}

report=${REPORT:-}
if [ -z "$report" ]; then
  report="$tmp/replay.html"
  dotnet build "$root/src/Ringfence.Cli" -c Release -nologo -v q -clp:ErrorsOnly
  dotnet run -c Release --no-build --project "$root/src/Ringfence.Cli" -- replay july-19 --scale "${SCALE:-1}" --report "$report"
fi

# One section of the report (from its <h2 id=...> to the next one) on a page of its own, screenshotted.
section() {
  local name=$1 from=$2 to=$3 height=$4
  { sed -n '1,/<body>/p' "$report"; sed -n "/<h2 id=\"$from\">/,/<h2 id=\"$to\">/p" "$report" | sed '$d'; echo '</body></html>'; } > "$tmp/$name.html"
  "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$out/report-$name.png" --window-size=1200,"$height" "file://$tmp/$name.html" 2>/dev/null
  echo "wrote $out/report-$name.png"
}
section outcome outcome over-time 1000
section over-time over-time by-sector 1700
section by-sector by-sector timeline 1500

if [ "${SKIP_DASHBOARD:-0}" != 1 ]; then
  RINGFENCE_UPDATE_DOCS_IMAGES=1 dotnet test "$root/tests/Ringfence.Server.Tests" -c Release --filter "FullyQualifiedName~Dashboard.DashboardBrowserTests"
fi
