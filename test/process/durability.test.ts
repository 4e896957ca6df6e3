/**
 * The durability order: an answer that acknowledges money leaves after the fsync of the WAL
 * batch that holds it. Shown on traces made by hand (each breach the check must name), on the
 * real server under strace, and on the real server with the WAL never fsynced (a test fixture),
 * where it must fail. The long run is `npm run durability` (docs/reliability.md).
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { formatDurability, runDurability, straceAvailable } from "./durability.js";
import { checkDurabilityOrder, parseTrace, unescapeStrace } from "./durability-trace.js";
import { cleanup } from "./support.js";

const ZEROS = "\\0".repeat(16);
/** A WAL frame header: page number, then the database size after a commit (0: not a commit). */
const header = (page: number, commitSize: number) =>
  `"\\0\\0\\0\\${page.toString(8)}\\0\\0\\0\\${commitSize.toString(8)}${ZEROS}"`;

/** One keyed transfer: accepted, read, written to the WAL in two frames (the second commits), fsynced, answered. */
function trace(
  options: { order?: string[]; answerTid?: number; fsyncSplit?: boolean; key?: boolean; status?: number } = {},
) {
  const key = options.key === false ? "" : "idempotency-key: k-0001\\r\\n";
  const lines: Record<string, string> = {
    open: `100 1.000000 openat(AT_FDCWD, "/d/hongbao.db-wal", O_RDWR|O_CREAT|O_CLOEXEC, 0644) = 19 <0.000010>`,
    accept: "100 1.000100 accept4(22, NULL, NULL, SOCK_CLOEXEC|SOCK_NONBLOCK) = 23 <0.000010>",
    read: `100 1.000200 read(23, "POST /v1/transfers HTTP/1.1\\r\\nHost: a\\r\\n${key}content-length: 2\\r\\n\\r\\n{}", 65536) = 80 <0.000010>`,
    frame1: `100 1.000300 pwrite64(19, ${header(2, 0)}, 24, 32) = 24 <0.000010>`,
    page1: `100 1.000400 pwrite64(19, "\\r\\0\\0\\0user:usr_ak-0001{\\"id\\":\\"tr_1\\"}", 4096, 56) = 4096 <0.000010>`,
    frame2: `100 1.000500 pwrite64(19, ${header(3, 5)}, 24, 4152) = 24 <0.000010>`,
    page2: `100 1.000600 pwrite64(19, "\\n\\0\\0\\0", 4096, 4176) = 4096 <0.000010>`,
    fsync: options.fsyncSplit
      ? '100 1.000700 fsync(19 <unfinished ...>\n101 1.000800 write(1, "log", 3) = 3 <0.000010>\n100 1.003000 <... fsync resumed>) = 0 <0.002300>'
      : "100 1.000700 fsync(19) = 0 <0.002300>",
    answer: `${options.answerTid ?? 100} 1.003100 writev(23, [{iov_base="HTTP/1.1 ${options.status ?? 201} Created\\r\\ncontent-length: 2\\r\\n\\r\\n", iov_len=40}, {iov_base="{}", iov_len=2}], 2) = 42 <0.000010>`,
  };
  const order = options.order ?? ["open", "accept", "read", "frame1", "page1", "frame2", "page2", "fsync", "answer"];
  return checkDurabilityOrder(parseTrace(order.map((name) => lines[name]).join("\n")));
}

describe("durability order: the check on traces made by hand", () => {
  it("reads strace's escapes back into bytes", () => {
    assert.deepEqual(
      [...unescapeStrace('\\0\\0\\21\\0\\37a\\"\\\\\\r\\n\\177')],
      [0, 0, 17, 0, 31, 97, 34, 92, 13, 10, 127],
    );
  });

  it("passes an answer written after its batch's fsync", () => {
    const report = trace();
    assert.equal(report.acknowledgements.length, 1);
    assert.equal(report.acknowledgements[0]?.key, "k-0001");
    assert.deepEqual(report.violations, []);
    assert.deepEqual([report.walWrites, report.commitFrames, report.walFsyncs], [4, 1, 1]);
  });

  it("fails an answer written before the fsync", () => {
    const report = trace({
      order: ["open", "accept", "read", "frame1", "page1", "frame2", "page2", "answer", "fsync"],
    });
    assert.match(report.violations[0]?.why ?? "", /before the fsync of its batch finished/);
  });

  it("fails an answer written before its batch reached the WAL, or before the commit frame", () => {
    let report = trace({ order: ["open", "accept", "read", "answer", "frame1", "page1", "frame2", "page2", "fsync"] });
    assert.match(report.violations[0]?.why ?? "", /before its batch was written/);
    report = trace({ order: ["open", "accept", "read", "frame1", "page1", "answer", "frame2", "page2", "fsync"] });
    assert.match(report.violations[0]?.why ?? "", /before its batch's commit frame/);
  });

  it("fails when the WAL is never fsynced, or only a file that is not the WAL is", () => {
    assert.match(
      trace({ order: ["open", "accept", "read", "frame1", "page1", "frame2", "page2", "answer"] }).violations[0]?.why ??
        "",
      /never fsynced/,
    );
  });

  it("fails an answer on another thread that starts while the fsync is still running", () => {
    const report = trace({
      fsyncSplit: true,
      answerTid: 102,
      order: ["open", "accept", "read", "frame1", "page1", "frame2", "page2", "answer", "fsync"],
    });
    assert.equal(report.violations.length, 1);
    assert.deepEqual(trace({ fsyncSplit: true }).violations, []);
  });

  it("fails a money acknowledgement without a key, and ignores refusals", () => {
    assert.match(trace({ key: false }).violations[0]?.why ?? "", /without an Idempotency-Key/);
    const refused = trace({ status: 422, order: ["open", "accept", "read", "answer"] });
    assert.deepEqual([refused.acknowledgements.length, refused.violations.length], [0, 0]);
  });
});

describe("durability order: the real server under strace", () => {
  after(cleanup);

  it("strace is installed (.ci/run installs it)", () => {
    assert.ok(straceAvailable(), "strace is missing: apt-get install -y strace");
  });

  it("every money acknowledgement leaves after the fsync of its batch", { timeout: 180_000 }, async (t) => {
    const seed = Number(process.env.BANK_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const run = await runDurability({ requests: 150, seed });
    for (const line of formatDurability(run, `synced (seed ${seed})`).split("\n")) t.diagnostic(line);
    assert.equal(run.report.acknowledgements.length, run.clientAcknowledged, "the trace shows every acknowledgement");
    assert.ok(run.clientAcknowledged >= 100, `${run.clientAcknowledged} acknowledgements`);
    assert.ok(run.report.walFsyncs > 0);
    assert.deepEqual(run.report.violations, []);
  });

  it("with the WAL never fsynced (synchronous=OFF), every acknowledgement is caught", {
    timeout: 180_000,
  }, async (t) => {
    const run = await runDurability({ requests: 60, seed: 1, unsynced: true });
    for (const line of formatDurability(run, "unsynced").split("\n")) t.diagnostic(line);
    assert.equal(run.report.walFsyncs, 0);
    assert.ok(run.report.acknowledgements.length > 0);
    assert.equal(run.report.violations.length, run.report.acknowledgements.length);
    assert.ok(run.report.violations.every((violation) => /never fsynced/.test(violation.why)));
  });
});
