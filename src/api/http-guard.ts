import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { ErrorCode } from "../domain/errors.js";
import { errorBody, STATUS_OF } from "./errors.js";

/**
 * What node:http answers by itself, before any route runs, in the one error shape.
 *
 * node:http refuses a request it cannot parse (llhttp's HPE_* codes: bad bytes, a duplicated
 * or contradictory Content-Length, Content-Length with Transfer-Encoding, a bad chunk, headers
 * over 16 KiB), an HTTP/1.1 request without Host, an unknown `Expect`, and a CONNECT, with its
 * own bodies (or none, or a silent close). Each of those is answered here as
 * `{"error":{"code","message"}}` with a fitting status and `Connection: close`: once a message
 * cannot be framed, nothing after it on the connection can be trusted (RFC 9112 §11.2, request
 * smuggling), so the connection ends after the answer.
 */

/** Longer request targets are refused with 414; ours are under 200 characters. */
export const URL_LENGTH_MAX = 4096;
/** After an answer that closes, the client's remaining bytes are read and dropped this long at most. */
export const LINGER_MS = 2_000;
/** A malformed message behind well-formed ones waits this long at most for their answers to go out first. */
export const IN_FLIGHT_WAIT_MS = 10_000;

const ALLOW = "GET, HEAD, POST";

/** A full HTTP/1.1 error response that closes the connection, for writing straight to a socket. */
export function rawErrorResponse(code: ErrorCode, message: string, headers: Readonly<Record<string, string>> = {}) {
  const status = STATUS_OF[code];
  const body = JSON.stringify(errorBody(code, message));
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  head += `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
  head += "Connection: close\r\n\r\n";
  return Buffer.from(head + body, "latin1");
}

interface Refusal {
  readonly code: ErrorCode;
  readonly message: string;
}

/** llhttp's error codes (carried on the error node:http emits) mapped to ours. */
export function refusalOfParseError(errorCode: string | undefined, reason?: string): Refusal | undefined {
  switch (errorCode) {
    case "HPE_HEADER_OVERFLOW":
      return { code: "HEADERS_TOO_LARGE", message: "the request line and headers exceed 16 KiB" };
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return { code: "BODY_TOO_LARGE", message: "the chunk extensions are too large" };
    case "HPE_INVALID_CONTENT_LENGTH":
    case "HPE_UNEXPECTED_CONTENT_LENGTH":
    case "HPE_INVALID_TRANSFER_ENCODING":
    case "HPE_INVALID_CHUNK_SIZE":
      return {
        code: "BAD_FRAMING",
        message: "the body's length is not clear: one valid Content-Length, or Transfer-Encoding: chunked alone",
      };
    case "HPE_INVALID_VERSION":
      // llhttp also reports a request line that ends in a bare LF as a version error.
      if (reason !== "Invalid HTTP version") break;
      return { code: "HTTP_VERSION_NOT_SUPPORTED", message: "speak HTTP/1.1 (or HTTP/1.0)" };
    case "HPE_PAUSED_H2_UPGRADE":
      return { code: "HTTP_VERSION_NOT_SUPPORTED", message: "speak HTTP/1.1 (or HTTP/1.0)" };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { code: "REQUEST_TIMEOUT", message: "the request was not received in time" };
  }
  if (errorCode?.startsWith("HPE_") === true)
    return { code: "MALFORMED_REQUEST", message: "the request is not valid HTTP/1.1" };
  return undefined;
}

/** node:http's socket fields read here: the response being written (pipelined ones wait behind it), and the parser. */
type HttpSocket = Socket & {
  _httpMessage?: (ServerResponse & { req?: IncomingMessage }) | null;
  parser?: { incoming?: IncomingMessage | null } | null;
};

/** Sockets already being answered and closed: node:http reports each later parse failure of them again. */
const closing = new WeakSet<Socket>();

/** Ends the connection after `bytes`, reading and dropping what the client still sends, for a while. */
function closeAfter(socket: Socket, bytes: Buffer | undefined): void {
  // Destroying a socket with unread input sends a reset, which can discard the answer at the client.
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
  if (bytes === undefined || !socket.writable) socket.end();
  else socket.end(bytes);
}

/**
 * The server's 'clientError' handler. Answers pipelined before the malformed message go out
 * first, in order; then the refusal; then the connection closes. A malformed body of a request
 * that already has an answer under way gets no second answer: the connection just closes.
 */
export function answerClientError(
  error: Error & { code?: string; reason?: string },
  socket: Socket,
  observe: (status: number) => void,
): void {
  if (closing.has(socket)) return;
  closing.add(socket);
  const refusal = refusalOfParseError(error.code, error.reason);
  if (refusal === undefined || socket.destroyed || !socket.writable) {
    // A reset or a broken pipe: nobody is left to answer.
    socket.destroy();
    return;
  }
  const http = socket as HttpSocket;
  // The message whose body failed, when the failure came after its head.
  const incoming = http.parser?.incoming;
  const broken = incoming != null && !incoming.complete ? incoming : undefined;
  const deadline = setTimeout(() => socket.destroy(), IN_FLIGHT_WAIT_MS).unref();
  const answer = () => {
    const current = http._httpMessage;
    if (current != null && current.req !== broken) {
      current.once("finish", answer);
      return;
    }
    clearTimeout(deadline);
    if (current == null && broken !== undefined) {
      // The failing request was already answered: nothing more to say.
      closeAfter(socket, undefined);
      return;
    }
    if (current?.headersSent === true) {
      current.once("finish", () => closeAfter(socket, undefined));
      return;
    }
    observe(STATUS_OF[refusal.code]);
    closeAfter(socket, rawErrorResponse(refusal.code, refusal.message));
  };
  answer();
}

/** Writes a refusal through node:http's response (the request itself parsed), closing after it. */
function refuse(response: ServerResponse, code: ErrorCode, message: string): void {
  const body = JSON.stringify(errorBody(code, message));
  response
    .writeHead(STATUS_OF[code], {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      connection: "close",
    })
    .end(body);
}

/** Why a parsed request must not reach a route: HTTP/0.9, an over-long target, Host missing or repeated. */
function refusalBeforeRouting(request: IncomingMessage): Refusal | undefined {
  if (request.httpVersionMajor !== 1)
    return { code: "HTTP_VERSION_NOT_SUPPORTED", message: "speak HTTP/1.1 (or HTTP/1.0)" };
  if ((request.url?.length ?? 0) > URL_LENGTH_MAX)
    return { code: "URL_TOO_LONG", message: `the request target is longer than ${URL_LENGTH_MAX} characters` };
  // RFC 9112 §3.2: an HTTP/1.1 request without Host, or with two, is a 400.
  if (request.httpVersionMinor === 1 && hostCount(request.rawHeaders) !== 1)
    return { code: "HOST_REQUIRED", message: "an HTTP/1.1 request carries exactly one Host header" };
  return undefined;
}

function hostCount(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 4 && name.toLowerCase() === "host") count++;
  }
  return count;
}

/**
 * Takes over from node:http what it would answer outside our shape: an `Expect` other than
 * 100-continue (417 with an empty body) and CONNECT (a silent close). The server must be made
 * with `requireHostHeader: false` (node:http's own 400 for it has an empty body). Returns the
 * check every request passes first: true when it refused the request. `observe` counts refusals.
 */
export function guardServer(
  server: Server,
  observe: (status: number) => void,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  server.on("checkExpectation", (_request: IncomingMessage, response: ServerResponse) => {
    observe(STATUS_OF.EXPECTATION_FAILED);
    // The body the client holds back would otherwise be read as the next request.
    refuse(response, "EXPECTATION_FAILED", "the only expectation understood is 100-continue");
  });
  server.on("connect", (_request: IncomingMessage, socket: Socket) => {
    observe(STATUS_OF.METHOD_NOT_ALLOWED);
    socket.on("error", () => socket.destroy());
    socket.resume();
    closeAfter(socket, rawErrorResponse("METHOD_NOT_ALLOWED", "this is not a proxy", { Allow: ALLOW }));
  });
  return (request, response) => {
    const refusal = refusalBeforeRouting(request);
    if (refusal === undefined) return false;
    observe(STATUS_OF[refusal.code]);
    refuse(response, refusal.code, refusal.message);
    return true;
  };
}
