#!/usr/bin/env bash
# Whole-system figure for the simulator: the 19 July replay (all strategies) at several scales,
# wall time and peak memory from /usr/bin/time -v. Usage: bench/simulation-scale.sh [scales...]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release src/Ringfence.Cli -nologo -v q -clp:ErrorsOnly
bin=src/Ringfence.Cli/bin/Release/net10.0/ringfence
out=$(mktemp -d)
echo "scale,hosts,wall_s,user_s,sys_s,max_rss_mb"
for scale in "${@:-0.1 0.5 1.0}"; do
  /usr/bin/time -v "$bin" replay july-19 --scale "$scale" --json "$out/r-$scale.json" >/dev/null 2>"$out/t-$scale.txt"
  hosts=$(grep -o '"hostsInFleet": [0-9]*' "$out/r-$scale.json" | head -1 | grep -o '[0-9]*')
  wall=$(grep 'Elapsed (wall clock)' "$out/t-$scale.txt" | awk '{print $NF}')
  user=$(grep 'User time' "$out/t-$scale.txt" | awk '{print $NF}')
  sys=$(grep 'System time' "$out/t-$scale.txt" | awk '{print $NF}')
  rss=$(grep 'Maximum resident' "$out/t-$scale.txt" | awk '{print int($NF/1024)}')
  echo "$scale,$hosts,$wall,$user,$sys,$rss"
done
rm -rf "$out"
