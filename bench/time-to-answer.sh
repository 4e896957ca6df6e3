#!/usr/bin/env bash
# Seconds from `npm start` to the first answer of /healthz, with the build current, against
# the start as it was before (`tsc -p` compiling everything, then node), in the same run.
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

before=() after=()
for _ in $(seq "$rounds"); do
  # The same output the build writes, written again in full: what every start did before.
  before+=("$(time_to_answer sh -c "npx tsc -p tsconfig.json --incremental false && exec node --max-semi-space-size=64 dist/src/cli/main.js serve")")
  after+=("$(time_to_answer npm start --silent)")
done
b=$(printf '%s\n' "${before[@]}" | median)
a=$(printf '%s\n' "${after[@]}" | median)
echo "time to first answer, median of $rounds: compile-then-start ${b}s, npm start ${a}s, ratio $(echo "scale=2; $a / $b" | bc)"
