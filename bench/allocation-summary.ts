/**
 * Sums a sampling heap profile (bench/edge-allocations.ts) by the file that allocated, in bytes
 * per claim: `node dist/bench/allocation-summary.js FILE.heapprofile CLAIMS [ROWS]`.
 * A function V8 inlined allocates under its caller's name.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  readonly callFrame: { readonly url: string };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

const [file, claimsArg, rowsArg] = process.argv.slice(2);
if (file === undefined || claimsArg === undefined) {
  process.stderr.write("usage: allocation-summary.js FILE.heapprofile CLAIMS [ROWS]\n");
  process.exit(2);
}
const claims = Number(claimsArg);
const { head } = JSON.parse(readFileSync(file, "utf8")) as { head: ProfileNode };
const byFile = new Map<string, number>();
let total = 0;
const stack: ProfileNode[] = [head];
for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
  const where =
    node.callFrame.url.replace(/^.*\/node_modules\//, "").replace(/^.*\/dist\//, "") || "(V8, no caller named)";
  byFile.set(where, (byFile.get(where) ?? 0) + node.selfSize);
  total += node.selfSize;
  stack.push(...node.children);
}
process.stdout.write(`${(total / 1e6).toFixed(1)} MB, ${(total / claims).toFixed(0)} bytes a claim\n`);
for (const [where, bytes] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, Number(rowsArg ?? 25)))
  process.stdout.write(
    `${(bytes / claims).toFixed(0).padStart(7)} B  ${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${where}\n`,
  );
