/**
 * The README's quick-start example, pasted as it is into bash against a first-started server
 * (only its address changed from localhost:8080 to the test's port): every step answers, and
 * the money arrives.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { childEnv, cleanup, serve, tempDir } from "./support.js";

const README = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

/** The first sh block after `marker`. */
function shBlockAfter(marker: string): string {
  const from = README.indexOf(marker);
  assert.ok(from >= 0, `the README has "${marker}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(README.slice(from));
  assert.ok(block !== null, `an sh block follows "${marker}"`);
  return block[1] as string;
}

describe("the README", () => {
  after(cleanup);

  it("quick-start example pastes as it is and moves the money", { timeout: 120_000 }, async () => {
    const folder = tempDir();
    const { proc, url } = await serve({ db: join(folder, "data", "hongbao.db"), env: childEnv(), edges: "auto" });
    const script = shBlockAfter("Then, in another terminal").replaceAll("localhost:8080", url.replace("http://", ""));
    const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script], {
      cwd: folder,
      env: childEnv(),
      timeout: 60_000,
    });
    const answers = stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(
      answers.every((answer) => answer.error === undefined),
      `no step was refused:\n${stdout}`,
    );
    assert.match(String(answers[0]?.userId), /^usr_/, stdout);
    assert.equal(answers.at(-1)?.balance, 1314, `Bob has the 13.14 yuan:\n${stdout}`);
    proc.child.kill("SIGTERM");
    await proc.waitForExit(20_000);
  });

  it("lists, take-back, withdrawal and campaign controls example pastes after the quick start", {
    timeout: 120_000,
  }, async () => {
    const folder = tempDir();
    const { proc, url } = await serve({ db: join(folder, "data", "hongbao.db"), env: childEnv(), edges: "auto" });
    const script =
      `${shBlockAfter("Then, in another terminal")}\n${shBlockAfter("Continuing in the same shell")}`.replaceAll(
        "localhost:8080",
        url.replace("http://", ""),
      );
    const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script], {
      cwd: folder,
      env: childEnv(),
      timeout: 60_000,
    });
    const answers = stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const refusals = answers.filter((answer) => answer.error !== undefined);
    assert.deepEqual(
      refusals.map((answer) => (answer.error as { code: string }).code),
      ["CAMPAIGN_PAUSED"],
      `only the paused claim is refused:\n${stdout}`,
    );
    const pending = answers.find((answer) => answer.object === "list") as { data: { refundInSeconds: number }[] };
    assert.ok((pending.data[0]?.refundInSeconds ?? 0) > 86_000, stdout);
    assert.ok(
      answers.some((answer) => answer.status === "cancelled"),
      stdout,
    );
    assert.ok(
      answers.some((answer) => String(answer.id).startsWith("wd_") && answer.balance === 314),
      stdout,
    );
    assert.ok(
      answers.some((answer) => answer.status === "ended" && answer.returned === 51_480),
      stdout,
    );
    proc.child.kill("SIGTERM");
    await proc.waitForExit(20_000);
  });
});
