#!/usr/bin/env bash
# Seconds from `npm start` to the first answer of /healthz, with the build current, in the same
# run as two references: the start as it was until the web app's build was skipped when
# current (the whole `npm run build`, Vite included, then node), and node alone on the
# current build (the floor: what is left is the server's own start).
# Usage: bash bench/time-to-answer.sh [rounds]   (run `npm run build` first)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs "$@" as a server on a fresh database and a free port; prints seconds until /healthz answers.
time_to_answer() {
  local port started pid
  port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
  rm -rf "$work/data"
  started=$(date +%s.%N)
  HONGBAO_PORT=$port HONGBAO_DB=$work/data/hongbao.db HONGBAO_ADMIN_TOKEN=time-to-answer-admin-token "$@" >"$work/log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/log" >&2; exit 1; }
    sleep 0.02
  done
  echo "$(date +%s.%N) - $started" | bc
  kill -TERM "$pid"
  wait "$pid" || true
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

before=() after=() bare=()
for _ in $(seq "$rounds"); do
  before+=("$(time_to_answer sh -c "npm run build --silent >/dev/null && exec node --max-semi-space-size=64 dist/src/cli/main.js serve")")
  after+=("$(time_to_answer npm start --silent)")
  bare+=("$(time_to_answer node --max-semi-space-size=64 dist/src/cli/main.js serve)")
done
b=$(printf '%s\n' "${before[@]}" | median)
a=$(printf '%s\n' "${after[@]}" | median)
n=$(printf '%s\n' "${bare[@]}" | median)
echo "each: build-then-start ${before[*]}; npm start ${after[*]}; node alone ${bare[*]}"
echo "time to first answer, median of $rounds: build-then-start ${b}s, npm start ${a}s, node alone ${n}s; npm start / build-then-start $(echo "scale=2; $a / $b" | bc), npm start / node alone $(echo "scale=2; $a / $n" | bc)"
