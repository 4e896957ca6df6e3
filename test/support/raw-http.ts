import assert from "node:assert/strict";
import { connect } from "node:net";
import { STATUS_OF } from "../../src/api/errors.js";
import { ERROR_CODES } from "../../src/domain/errors.js";

/** One HTTP/1.1 response read off a socket. */
export interface RawResponse {
  readonly status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface Exchange {
  readonly responses: readonly RawResponse[];
  /** Whether the server closed the connection before `waitMs` ran out. */
  readonly closed: boolean;
  /** Bytes after the last whole response (a response cut short, or garbage). */
  readonly rest: string;
  /** A socket error the client saw (a reset), if any. */
  readonly error?: string;
}

/**
 * Writes `parts` to a fresh connection (pausing `gapMs` between them), then reads until the
 * server closes or `waitMs` passes, and parses every response in what came back.
 */
export function exchange(
  port: number,
  parts: readonly (string | Buffer)[],
  options: { waitMs?: number; gapMs?: number } = {},
): Promise<Exchange> {
  const waitMs = options.waitMs ?? 1_500;
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const { responses, rest } = parseResponses(Buffer.concat(chunks));
      resolve({ responses, closed, rest, ...(error === undefined ? {} : { error }) });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    socket.on("close", () => finish(true));
    socket.on("connect", async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0 && options.gapMs !== undefined) await new Promise((r) => setTimeout(r, options.gapMs));
        if (socket.destroyed) return;
        socket.write(typeof part === "string" ? Buffer.from(part, "latin1") : part);
      }
    });
  });
}

/** Splits bytes into HTTP/1.1 responses (Content-Length or chunked bodies); what does not parse is `rest`. */
export function parseResponses(bytes: Buffer): { responses: RawResponse[]; rest: string } {
  const responses: RawResponse[] = [];
  let text = bytes.toString("latin1");
  for (;;) {
    const headEnd = text.indexOf("\r\n\r\n");
    if (headEnd < 0) break;
    const [statusLine, ...lines] = text.slice(0, headEnd).split("\r\n");
    const match = /^HTTP\/1\.[01] (\d{3}) /.exec(`${statusLine} `);
    if (match === null) break;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let rest = text.slice(headEnd + 4);
    let body: string;
    if (headers["transfer-encoding"] === "chunked") {
      body = "";
      for (;;) {
        const lineEnd = rest.indexOf("\r\n");
        if (lineEnd < 0) return { responses, rest: text };
        const size = Number.parseInt(rest.slice(0, lineEnd), 16);
        body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
        rest = rest.slice(lineEnd + 2 + size + 2);
        if (size === 0) break;
      }
    } else {
      const length = Number(headers["content-length"] ?? "0");
      if (rest.length < length) break;
      body = rest.slice(0, length);
      rest = rest.slice(length);
    }
    responses.push({ status: Number(match[1]), headers, body: Buffer.from(body, "latin1").toString("utf8") });
    text = rest;
  }
  return { responses, rest: text };
}

/**
 * Checks the error contract on any 4xx (or 5xx): a JSON body `{error: {code, message}}` whose
 * code is in the registry and whose status is the one the registry gives it. Returns the code.
 */
export function assertErrorContract(
  status: number,
  contentType: string | undefined,
  body: string,
  context: string,
): string {
  assert.ok(status < 500, `${context}: no 5xx, got ${status} ${body.slice(0, 300)}`);
  assert.match(contentType ?? "", /^application\/json/, `${context}: JSON content type, got ${contentType}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    assert.fail(`${context}: body is not JSON: ${body.slice(0, 300)}`);
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } }).error;
  assert.ok(typeof error === "object" && error !== null, `${context}: {error: …}: ${body.slice(0, 300)}`);
  assert.equal(typeof error.code, "string", `${context}: error.code: ${body.slice(0, 300)}`);
  assert.equal(typeof error.message, "string", `${context}: error.message: ${body.slice(0, 300)}`);
  const code = error.code as string;
  assert.ok((ERROR_CODES as readonly string[]).includes(code), `${context}: ${code} is in the registry`);
  assert.equal(status, STATUS_OF[code as keyof typeof STATUS_OF], `${context}: status of ${code}`);
  return code;
}
