#!/usr/bin/env bash
# Runs every test in the solution. Installs what the tests need when it is missing:
# PostgreSQL and Chromium with apt-get, tuf-js with npm ci. Ends with "N passed, N failed[, N skipped]".
set -uo pipefail
cd "$(dirname "$0")"

missing=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]} with apt-get"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { echo "test.sh: apt-get install ${missing[*]} failed"; echo "0 passed, 1 failed"; exit 1; }
fi

if [ -f tests/interop/package.json ]; then
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
    || { echo "test.sh: npm ci in tests/interop failed"; echo "0 passed, 1 failed"; exit 1; }
fi

results=artifacts/test-results
rm -rf "$results"
if ! dotnet build Ringfence.slnx -c Release -nologo -v q -clp:ErrorsOnly; then
  echo "test.sh: build failed"; echo "0 passed, 1 failed"; exit 1
fi
dotnet test Ringfence.slnx -c Release --no-build -nologo -v q --logger trx --results-directory "$results" "$@"
status=$?

# Count from the TRX files, not from console text.
node -e '
const fs = require("fs"), path = require("path");
const dir = process.argv[1];
let passed = 0, failed = 0, skipped = 0, files = 0;
for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
  if (!f.endsWith(".trx")) continue;
  files++;
  const text = fs.readFileSync(path.join(dir, f), "utf8");
  const m = text.match(/<Counters\b[^>]*>/);
  if (!m) continue;
  const get = n => Number((m[0].match(new RegExp(" " + n + "=\"(\\d+)\"")) || [0, 0])[1]);
  passed += get("passed");
  failed += get("failed") + get("error") + get("timeout") + get("aborted");
  // xunit skips show up as total - executed, not always as notExecuted.
  skipped += Math.max(get("notExecuted"), get("total") - get("executed"));
  // Name each failure with its message, so a CI log alone says what broke.
  for (const r of text.matchAll(/<UnitTestResult\b[^>]*testName="([^"]*)"[^>]*outcome="Failed"[^>]*>([\s\S]*?)<\/UnitTestResult>/g)) {
    const msg = (r[2].match(/<Message>([\s\S]*?)<\/Message>/) || [, ""])[1];
    const where = (r[2].match(/<StackTrace>([\s\S]*?)<\/StackTrace>/) || [, ""])[1].split("\n").find(l => l.includes(".cs:line")) || "";
    const unescape = s => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"").replace(/&apos;/g, "\x27").replace(/&amp;/g, "&");
    console.log("FAILED " + unescape(r[1]) + "\n  " + unescape(msg).trim().split("\n").slice(0, 12).join("\n  ") + (where ? "\n  " + where.trim() : ""));
  }
}
// A crashed test host or a failed run with no failing test still counts as a failure.
if (files === 0 || (Number(process.argv[2]) !== 0 && failed === 0)) failed++;
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
process.exit(failed > 0 ? 1 : 0);
' "$results" "$status"
counted=$?
[ $status -eq 0 ] && [ $counted -eq 0 ]
