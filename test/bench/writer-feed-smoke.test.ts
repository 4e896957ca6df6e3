import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const BENCH = fileURLToPath(new URL("../../bench/writer-feed.js", import.meta.url));

/**
 * The writer-feed bench speaks the wire as an edge does and checks every claim was paid: a
 * change of the wire's answers that it does not follow makes it fail, and it is run by hand,
 * so a small feed here keeps it honest.
 */
describe("writer-feed bench", () => {
  it("feeds a writer 2 000 claims and finds every one paid", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BENCH, "--claims", "2000", "--in-flight", "500", "--rounds", "1", "--raw", "no"],
      { timeout: 120_000 },
    );
    assert.match(stdout, /writer fed, claims\/s: \d+/);
  });
});
