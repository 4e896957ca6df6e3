#!/usr/bin/env bash
# The Dockerfile's steps without Docker: build, install production dependencies alone into a
# clean folder, copy the compiled server in. Prints the folder; start it with
#   cd OUT && HONGBAO_DB=/some/data/hongbao.db node --max-semi-space-size=64 dist/src/cli/main.js serve
# Usage: bash scripts/runtime-folder.sh OUT [--reuse-native]
#   --reuse-native: install without install scripts and copy better-sqlite3's native module
#   from this checkout's node_modules (built for the same Node) instead of compiling it again
#   (about 80 s of CPU); what `npm test` does. Without it, exactly the image's steps.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: runtime-folder.sh OUT [--reuse-native]}
reuse=${2:-}
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)

# build stage: RUN npx tsc -b && npm run build:web (here the web app only when its inputs changed)
(cd "$root" && npx tsc -b && node web/build-if-stale.mjs >&2)
# dependencies stage: RUN npm ci --omit=dev (better-sqlite3 builds from source when offline)
cp "$root/package.json" "$root/package-lock.json" "$out/"
if [ "$reuse" = "--reuse-native" ]; then
  (cd "$out" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >&2)
  native=node_modules/better-sqlite3/build/Release/better_sqlite3.node
  mkdir -p "$(dirname "$out/$native")"
  cp "$root/$native" "$out/$native"
else
  (cd "$out" && npm ci --omit=dev --no-audit --no-fund >&2)
fi
# runtime stage: COPY --from=build /app/dist/src ./dist/src, dist/web; COPY package.json LICENSE config
mkdir -p "$out/dist"
cp -R "$root/dist/src" "$out/dist/src"
cp -R "$root/dist/web" "$out/dist/web"
cp "$root/LICENSE" "$out/"
cp -R "$root/config" "$out/config"
rm "$out/package-lock.json"
echo "$out"
