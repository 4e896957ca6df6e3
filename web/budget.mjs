// Prints the web app's JavaScript size (gzipped, as a browser downloads it) and fails the
// build when it is over the budget.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_BYTES = 150 * 1024;
const assets = new URL("../dist/web/assets/", import.meta.url);
let total = 0;
for (const name of readdirSync(assets)) {
  if (!name.endsWith(".js")) continue;
  const gzipped = gzipSync(readFileSync(join(assets.pathname, name)), { level: 9 }).length;
  total += gzipped;
  console.log(`web js ${name}: ${(gzipped / 1024).toFixed(1)} KB gzipped`);
}
const verdict = total <= BUDGET_BYTES ? "within" : "OVER";
console.log(`web js total: ${(total / 1024).toFixed(1)} KB gzipped, ${verdict} the ${BUDGET_BYTES / 1024} KB budget`);
if (total > BUDGET_BYTES) process.exit(1);
