import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { ADMIN_TOKEN, INPUT_TESTS_GATE, type ListeningApp, startListeningApp } from "../support/harness.js";
import { LedgerReader } from "../support/ledger-snapshot.js";
import { assertErrorContract, exchange } from "../support/raw-http.js";
import { RUNS, SEED } from "./settings.js";

/**
 * Malformed HTTP, generated: well-formed requests cut, spliced and sprinkled with the bytes
 * and lines that break framing (CR, LF, NUL, duplicate Content-Length, Transfer-Encoding,
 * huge headers, bad chunk sizes, unknown Expect, odd versions), sent on raw sockets to a real
 * listening server. Every response parses, every 4xx is in the error shape, nothing is
 * created or moved by a refused request, and the server serves a good request afterwards.
 */

const GOOD = [
  "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /v1/limits?at=2021-08-14T13:14:00%2B08:00 HTTP/1.1\r\nHost: x\r\n\r\n",
  `GET /v1/admin/ledger HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n\r\n`,
  `POST /v1/admin/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"phone":"+8613700000001","name":"fz01"}`,
  'POST /v1/auth/otp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{"phone\r\n13\r\n":"+8613700000002"}\r\n0\r\n\r\n',
];

const SNIPPETS = [
  "\r",
  "\n",
  "\r\n",
  "\x00",
  "\x7f",
  "\xff",
  " ",
  ":",
  "\r\n\r\n",
  "Content-Length: 5\r\n",
  "Content-Length: -1\r\n",
  "Content-Length: 99999999999999999999\r\n",
  "Transfer-Encoding: chunked\r\n",
  "Transfer-Encoding: identity\r\n",
  "Expect: 100-continue\r\n",
  "Expect: nothing\r\n",
  "Host: y\r\n",
  "Connection: upgrade\r\nUpgrade: websocket\r\n",
  `X-Big: ${"b".repeat(17_000)}\r\n`,
  "zz\r\n",
  "0\r\n\r\n",
  "HTTP/0.9",
  "HTTP/1.0",
  "HTTP/2",
  "GET / HTTP/1.1\r\n",
  "%00",
];

type Edit =
  | { readonly kind: "insert"; readonly at: number; readonly text: string }
  | { readonly kind: "delete"; readonly at: number; readonly length: number }
  | { readonly kind: "truncate"; readonly at: number }
  | { readonly kind: "byte"; readonly at: number; readonly byte: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 8, unit: "binary-ascii" })),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("byte" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
);

function apply(request: string, edits: readonly Edit[]): string {
  let text = request;
  for (const e of edits) {
    const at = text.length === 0 ? 0 : e.at % (text.length + 1);
    if (e.kind === "insert") text = text.slice(0, at) + e.text + text.slice(at);
    else if (e.kind === "delete") text = text.slice(0, at) + text.slice(at + e.length);
    else if (e.kind === "truncate") text = text.slice(0, Math.max(at, 1));
    else text = text.slice(0, at) + String.fromCharCode(e.byte) + text.slice(at + 1);
  }
  return text;
}

describe(`malformed HTTP fuzzing on raw sockets: ${RUNS} connections (seed ${SEED})`, () => {
  let app: ListeningApp;
  let reader: LedgerReader;

  before(async () => {
    app = await startListeningApp({ gate: INPUT_TESTS_GATE });
    reader = new LedgerReader(app.db);
  });

  after(async () => {
    reader?.close();
    await app?.dispose();
  });

  it("parses every answer, keeps every 4xx in the shape, changes nothing it refuses, and serves on", async () => {
    let snapshot = reader.snapshot();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...GOOD),
        fc.array(edit, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (good, edits, pipelined) => {
          const bytes = (pipelined ? GOOD[0] : "") + apply(good, edits);
          // A request cut short is answered only when the server's timeout ends it: give up waiting sooner.
          const result = await exchange(app.port, [bytes], { waitMs: 200 });
          const label = JSON.stringify(bytes.slice(0, 300));
          const after_ = reader.snapshot();
          let accepted = false;
          for (const response of result.responses) {
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
            if (response.status >= 400)
              assertErrorContract(response.status, response.headers["content-type"], response.body, label);
            else accepted ||= response.status === 201;
          }
          assert.equal(result.rest, "", `${label}: an answer that does not parse`);
          if (!accepted) assert.deepEqual(after_, snapshot, `${label} changed the store without a 201`);
          snapshot = after_;
        },
      ),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    const { responses } = await exchange(app.port, ["GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
    assert.equal(responses[0]?.status, 200, "the server still serves a good request");
    console.log(
      `malformed fuzz: ${RUNS} connections (seed ${SEED}); ${[...statuses]
        .sort(([a], [b]) => a - b)
        .map(([s, n]) => `${s}: ${n}`)
        .join(", ")}`,
    );
  });
});
