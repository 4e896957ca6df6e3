import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN_TOKEN, type ListeningApp, startListeningApp } from "../support/harness.js";
import { LedgerReader } from "../support/ledger-snapshot.js";
import { assertErrorContract, type Exchange, exchange } from "../support/raw-http.js";

/**
 * Malformed HTTP on real sockets against a real listening server: every refusal is in the error
 * shape with a fitting status and code, the connection closes where the message cannot be
 * framed, the server serves a good request afterwards, and nothing reaches the ledger.
 */

const good = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
const post = (headers: string, body = "") =>
  `POST /v1/admin/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nIdempotency-Key: malformed-1\r\n${headers}\r\n${body}`;
const userBody = '{"phone":"+8613900000001","name":"smuggled"}';
const smuggled = `POST /v1/admin/deposits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`;

interface Case {
  readonly name: string;
  readonly parts: readonly (string | Buffer)[];
  /** The statuses of the responses in order, and the code of the last one. */
  readonly statuses: readonly number[];
  readonly code: string;
  /** Whether the server must close the connection after answering (default true). */
  readonly closes?: boolean;
  readonly gapMs?: number;
  readonly header?: readonly [string, string];
}

const CASES: readonly Case[] = [
  { name: "a garbage request line", parts: ["GARBAGE\r\n\r\n"], statuses: [400], code: "MALFORMED_REQUEST" },
  {
    name: "binary noise",
    parts: [Buffer.from([0, 1, 2, 255, 13, 10, 13, 10])],
    statuses: [400],
    code: "MALFORMED_REQUEST",
  },
  {
    name: "a control byte in a header value",
    parts: ["GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n"],
    statuses: [400],
    code: "MALFORMED_REQUEST",
  },
  {
    name: "a space in a header name",
    parts: ["GET /healthz HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n"],
    statuses: [400],
    code: "MALFORMED_REQUEST",
  },
  {
    name: "a space before the colon",
    parts: ["GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n"],
    statuses: [400],
    code: "MALFORMED_REQUEST",
  },
  {
    name: "an obsolete folded header",
    parts: ["GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n"],
    statuses: [400],
    code: "MALFORMED_REQUEST",
  },
  {
    name: "a bare CR in a header value",
    parts: ["GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n"],
    statuses: [400],
    code: "MALFORMED_REQUEST",
  },
  {
    name: "a NUL in the target",
    parts: ["GET /heal\x00thz HTTP/1.1\r\nHost: x\r\n\r\n"],
    statuses: [400],
    code: "MALFORMED_REQUEST",
  },
  {
    name: "lines ended by LF alone",
    parts: ["GET /healthz HTTP/1.1\nHost: x\n\n"],
    statuses: [400],
    code: "MALFORMED_REQUEST",
  },
  {
    name: "an unknown method",
    parts: ["FOO /healthz HTTP/1.1\r\nHost: x\r\n\r\n"],
    statuses: [400],
    code: "MALFORMED_REQUEST",
  },
  {
    name: "two different Content-Length headers",
    parts: [post("Content-Length: 2\r\nContent-Length: 3\r\n", "{}")],
    statuses: [400],
    code: "BAD_FRAMING",
  },
  {
    name: "two equal Content-Length headers",
    parts: [post("Content-Length: 2\r\nContent-Length: 2\r\n", "{}")],
    statuses: [400],
    code: "BAD_FRAMING",
  },
  {
    name: "a Content-Length that is not a number",
    parts: [post("Content-Length: 2x\r\n", "{}")],
    statuses: [400],
    code: "BAD_FRAMING",
  },
  {
    name: "a negative Content-Length",
    parts: [post("Content-Length: -1\r\n", "{}")],
    statuses: [400],
    code: "BAD_FRAMING",
  },
  {
    name: "smuggling CL.TE: Content-Length and chunked, a deposit hidden behind",
    parts: [post("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", `0\r\n\r\n${smuggled}`)],
    statuses: [400],
    code: "BAD_FRAMING",
  },
  {
    name: "smuggling TE.CL: chunked and Content-Length, a deposit hidden behind",
    parts: [post("Transfer-Encoding: chunked\r\nContent-Length: 200\r\n", `5\r\n{"a":\r\n0\r\n\r\n${smuggled}`)],
    statuses: [400],
    code: "BAD_FRAMING",
  },
  {
    name: "a Transfer-Encoding other than chunked",
    parts: [post("Transfer-Encoding: gzip\r\n", "{}")],
    statuses: [400],
    code: "BAD_FRAMING",
  },
  {
    name: "chunked twice",
    parts: [post("Transfer-Encoding: chunked, chunked\r\n", "2\r\n{}\r\n0\r\n\r\n")],
    statuses: [400],
    code: "BAD_FRAMING",
  },
  {
    name: "an obfuscated Transfer-Encoding (xchunked)",
    parts: [post("Transfer-Encoding: xchunked\r\n", "2\r\n{}\r\n0\r\n\r\n")],
    statuses: [400],
    code: "BAD_FRAMING",
  },
  {
    name: "a chunk size that is not hex",
    parts: [post("Transfer-Encoding: chunked\r\n", "ZZ\r\n{}\r\n0\r\n\r\n")],
    statuses: [400],
    code: "BAD_FRAMING",
  },
  {
    name: "a bad chunk after a good one, sent later (the route is already reading the body)",
    parts: [post("Transfer-Encoding: chunked\r\n", '5\r\n{"pho\r\n'), "ZZ\r\nne\r\n0\r\n\r\n"],
    gapMs: 100,
    statuses: [400],
    code: "BAD_FRAMING",
  },
  {
    name: "a chunk longer than its size says",
    parts: [post("Transfer-Encoding: chunked\r\n", "2\r\n{}xx\r\n0\r\n\r\n")],
    statuses: [400],
    code: "MALFORMED_REQUEST",
  },
  {
    name: "chunk extensions over 16 KiB",
    parts: [post("Transfer-Encoding: chunked\r\n", `2;${"a".repeat(20_000)}\r\n{}\r\n0\r\n\r\n`)],
    statuses: [413],
    code: "BODY_TOO_LARGE",
  },
  {
    name: "a 20 KiB header",
    parts: [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`],
    statuses: [431],
    code: "HEADERS_TOO_LARGE",
  },
  {
    name: "3 000 headers",
    parts: [
      `GET /healthz HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-${i}: a\r\n`).join("")}\r\n`,
    ],
    statuses: [431],
    code: "HEADERS_TOO_LARGE",
  },
  {
    name: "a 70 KiB target",
    parts: [`GET /${"a".repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    statuses: [431],
    code: "HEADERS_TOO_LARGE",
  },
  {
    name: "a 5 000-character target",
    parts: [`GET /v1/limits?at=${"a".repeat(5_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    statuses: [414],
    code: "URL_TOO_LONG",
  },
  {
    name: "an unknown Expect",
    parts: [post("Content-Length: 2\r\nExpect: 42-fish\r\n", "")],
    statuses: [417],
    code: "EXPECTATION_FAILED",
  },
  { name: "HTTP/0.9", parts: ["GET /healthz\r\n\r\n"], statuses: [400], code: "HTTP_VERSION_NOT_SUPPORTED" },
  {
    name: "HTTP/9.9",
    parts: ["GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n"],
    statuses: [400],
    code: "HTTP_VERSION_NOT_SUPPORTED",
  },
  {
    name: "HTTP/2.0 in an HTTP/1 request line",
    parts: ["GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n"],
    statuses: [400],
    code: "HTTP_VERSION_NOT_SUPPORTED",
  },
  {
    name: "the HTTP/2 preface",
    parts: ["PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
    statuses: [400],
    code: "HTTP_VERSION_NOT_SUPPORTED",
  },
  { name: "HTTP/1.1 without Host", parts: ["GET /healthz HTTP/1.1\r\n\r\n"], statuses: [400], code: "HOST_REQUIRED" },
  {
    name: "HTTP/1.1 with two Host headers",
    parts: ["GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"],
    statuses: [400],
    code: "HOST_REQUIRED",
  },
  {
    name: "CONNECT",
    parts: ["CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"],
    statuses: [405],
    code: "METHOD_NOT_ALLOWED",
    header: ["allow", "GET, HEAD, POST"],
  },
  {
    name: "DELETE on a known path",
    parts: ["DELETE /healthz HTTP/1.1\r\nHost: x\r\n\r\n"],
    statuses: [405],
    code: "METHOD_NOT_ALLOWED",
    closes: false,
    header: ["allow", "GET, HEAD"],
  },
  {
    name: "PUT on a route with an id",
    parts: ["PUT /v1/transfers/tr_00000000000000000000/accept HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"],
    statuses: [405],
    code: "METHOD_NOT_ALLOWED",
    closes: false,
    header: ["allow", "POST"],
  },
  {
    name: "garbage pipelined after a good request: the good one is answered first",
    parts: [`${good}GARBAGE\r\n\r\n`],
    statuses: [200, 400],
    code: "MALFORMED_REQUEST",
  },
  {
    name: "a duplicated Content-Length pipelined after two good requests",
    parts: [
      `${good}GET /v1/limits HTTP/1.1\r\nHost: x\r\n\r\n${post("Content-Length: 2\r\nContent-Length: 2\r\n", "{}")}`,
    ],
    statuses: [200, 200, 400],
    code: "BAD_FRAMING",
  },
  {
    name: "a 20 KiB header pipelined after a good request",
    parts: [`${good}GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`],
    statuses: [200, 431],
    code: "HEADERS_TOO_LARGE",
  },
  {
    name: "a body that is not JSON, with a good request behind it",
    parts: [`${post(`Content-Length: ${userBody.length - 1}\r\n`, userBody.slice(0, -1))}${good}`],
    statuses: [400],
    code: "BAD_JSON",
  },
];

describe("malformed HTTP on raw sockets", () => {
  let app: ListeningApp;
  let port: number;
  let reader: LedgerReader;
  let before_: unknown;

  before(async () => {
    app = await startListeningApp();
    port = app.port;
    reader = new LedgerReader(app.db);
    before_ = reader.snapshot();
  });

  after(async () => {
    reader.close();
    await app.dispose();
  });

  const assertServes = async () => {
    const { responses } = await exchange(port, [good.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")]);
    assert.equal(responses[0]?.status, 200, "the server still serves a good request");
  };

  for (const c of CASES) {
    it(`${c.name} → ${c.statuses.join(", ")} ${c.code}`, async () => {
      const result: Exchange = await exchange(port, c.parts, {
        waitMs: (c.closes ?? true) ? 1_500 : 400,
        ...(c.gapMs === undefined ? {} : { gapMs: c.gapMs }),
      });
      assert.deepEqual(
        result.responses.map((r) => r.status),
        c.statuses,
        `statuses; rest ${JSON.stringify(result.rest.slice(0, 200))} ${result.error ?? ""}`,
      );
      assert.equal(result.rest, "", "nothing but whole responses");
      for (const [i, response] of result.responses.entries()) {
        if (response.status < 400) continue;
        const code = assertErrorContract(response.status, response.headers["content-type"], response.body, c.name);
        if (i === result.responses.length - 1) assert.equal(code, c.code);
      }
      const last = result.responses.at(-1);
      if (c.header !== undefined) assert.equal(last?.headers[c.header[0]], c.header[1]);
      if (c.closes ?? true) {
        assert.equal(result.closed, true, "the server closes the connection");
        assert.equal(last?.headers.connection?.toLowerCase(), "close", "and says so");
      } else {
        assert.equal(result.closed, false, "the connection stays open");
      }
      await assertServes();
    });
  }

  it("counts the refusals made before routing", async () => {
    const text = await (await fetch(`${app.server.url}/metrics`)).text();
    assert.match(text, /hongbao_http_requests_total\{method="-",route="unrouted",status="400"\} [1-9]/);
    assert.match(text, /hongbao_http_requests_total\{method="-",route="unrouted",status="431"\} [1-9]/);
  });

  it("moved no money and created nobody", async () => {
    assert.deepEqual(reader.snapshot(), before_);
  });
});
