/**
 * How the CLI fails: one line saying what went wrong and what to do, a non-zero exit, and no
 * stack trace (an operator reads these, not a developer; HONGBAO_DEBUG=1 adds the stack).
 */
import { readFile } from "node:fs/promises";

/** A failure whose message is already written for the person at the terminal. */
export class CliError extends Error {
  override readonly name = "CliError";
}

const SYSTEM_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or folder",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a folder, not a file",
  ENOTDIR: "a part of the path is not a folder",
  EEXIST: "exists, and is not a folder",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the disk",
  EADDRINUSE: "address already in use (EADDRINUSE): another process listens on that port",
  EADDRNOTAVAIL: "address not available on this machine (EADDRNOTAVAIL)",
  ECONNREFUSED: "connection refused: is the server running there?",
  ENOTFOUND: "host not found",
  ETIMEDOUT: "timed out",
  ECONNRESET: "connection reset",
};

interface SystemError {
  readonly code?: unknown;
  readonly path?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly cause?: unknown;
  readonly message?: unknown;
}

/** One line, whatever the error: a system error's code in words, a fetch failure's cause. */
export function describeError(error: unknown): string {
  const e = (typeof error === "object" && error !== null ? error : {}) as SystemError;
  let text: string;
  if (error instanceof CliError) text = error.message;
  else if (typeof e.code === "string" && SYSTEM_ERRORS[e.code] !== undefined) {
    const where =
      typeof e.path === "string" ? `${e.path}: ` : typeof e.port === "number" ? `${String(e.address)}:${e.port}: ` : "";
    text = `${where}${SYSTEM_ERRORS[e.code]}`;
  } else if (error instanceof TypeError && e.message === "fetch failed" && e.cause !== undefined) {
    text = describeError(e.cause);
  } else text = error instanceof Error ? error.message : String(error);
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 400 ? `${line.slice(0, 399)}…` : line;
}

/** Prints the one line (and the stack with HONGBAO_DEBUG=1) and sets the exit code. */
export function reportFailure(command: string, error: unknown, exitCode = 2): void {
  process.stderr.write(`hongbao ${command}: ${describeError(error)}\n`);
  if (process.env.HONGBAO_DEBUG === "1" && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exitCode = exitCode;
}

/** A file's text; a missing or unreadable file is a CliError naming it and what it was for. */
export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${what} ${describeError(error)}`);
  }
}

/** A JSON file's value; not JSON is a CliError naming the file. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  return parseJson(await readText(path, what), `${what} ${path}`);
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`${what} is not JSON (${describeError(error)})`);
  }
}

/** GET a JSON document from a hongbao server; an HTTP error names the status and the error code. */
export async function fetchJson(url: URL, token: string | undefined): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new CliError(`cannot reach ${url.origin}: ${describeError(error)}`);
  }
  const text = await response.text();
  if (!response.ok) {
    const body = safeJson(text) as { error?: { code?: unknown; message?: unknown } } | undefined;
    const said =
      body?.error !== undefined ? `${String(body.error.code)}: ${String(body.error.message)}` : text.slice(0, 200);
    throw new CliError(`${url.href} answered ${response.status} ${said}`);
  }
  return parseJson(text, `the answer of ${url.href}`);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
