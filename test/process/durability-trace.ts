/**
 * The durability order, read from the server's system calls: an answer that acknowledges
 * money (a 2xx to a money-moving POST) may leave on its socket only after the fsync of the
 * SQLite WAL that holds its batch. A SIGKILL keeps the page cache, so a missing or late fsync
 * never shows in a crash test; it shows here.
 *
 * Input: the output of
 *   strace -f -ttt -T -qq -s 8192 -e trace=openat,close,accept4,read,write,writev,sendto,sendmsg,pwrite64,fsync,fdatasync
 * Pure: the runner (durability.ts) makes the trace, this file only reads it.
 *
 * How an answer is tied to its batch: every money POST carries an Idempotency-Key, and the
 * key is written with the answer into the idempotency table in the batch that applies it.
 * So: the request (read from the socket) gives the key; the first write to the WAL whose bytes
 * hold that key is part of the key's batch; that batch ends with the next frame header that
 * marks a commit (a non-zero "database size after commit" field); and the first fsync or
 * fdatasync of the WAL after that commit frame is the one the answer must follow.
 */

/** POSTs that move money (SPEC: transfers and their answers, red packets and grabs, deposits, campaigns and claims). */
export const MONEY_POST =
  /^\/v1\/(transfers|transfers\/tr_[^/]+\/(accept|decline|acknowledge-loan)|red-packets|red-packets\/rp_[^/]+\/grab|admin\/deposits|admin\/withdrawals|admin\/campaigns|campaigns\/cmp_[^/]+\/claim)$/;

export interface Syscall {
  /** The line the call started on (its order in the trace). */
  readonly line: number;
  /** The line it finished on (later than `line` when another thread's call came between). */
  readonly endLine: number;
  readonly tid: number;
  readonly startS: number;
  readonly endS: number;
  readonly name: string;
  readonly args: string;
  readonly result: number;
}

const LINE = /^(\d+)\s+(\d+\.\d+)\s+(.*)$/;
const FINISHED = /^(.*)\)\s+=\s+(-?\d+|\?)(?:\s.*?)?\s+<(\d+\.\d+)>$/s;

/** Parses strace lines, joining calls split by `<unfinished ...>` / `<... resumed>`. */
export function parseTrace(text: string): Syscall[] {
  const calls: Syscall[] = [];
  const open = new Map<number, { line: number; startS: number; name: string; head: string }>();
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const match = LINE.exec(lines[index] as string);
    if (match === null) continue;
    const tid = Number(match[1]);
    const atS = Number(match[2]);
    const rest = match[3] as string;
    if (rest.endsWith("<unfinished ...>")) {
      const call = /^(\w+)\((.*)$/s.exec(rest.slice(0, -"<unfinished ...>".length).trimEnd());
      if (call !== null) open.set(tid, { line: index, startS: atS, name: call[1] as string, head: call[2] as string });
      continue;
    }
    let name: string;
    let body: string;
    let line = index;
    let startS = atS;
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/s.exec(rest);
    if (resumed !== null) {
      const started = open.get(tid);
      open.delete(tid);
      if (started === undefined || started.name !== resumed[1]) continue;
      ({ name, line, startS } = started);
      body = started.head + (resumed[2] as string);
    } else {
      const call = /^(\w+)\((.*)$/s.exec(rest);
      if (call === null) continue; // signals, exits
      name = call[1] as string;
      body = call[2] as string;
    }
    const finished = FINISHED.exec(body);
    if (finished === null) continue;
    calls.push({
      line,
      endLine: index,
      tid,
      startS,
      endS: startS + Number(finished[3]),
      name,
      args: finished[1] as string,
      result: finished[2] === "?" ? Number.NaN : Number(finished[2]),
    });
  }
  return calls;
}

/** strace's C-style escapes (\n, \", \\, \ooo …) back to the bytes they stand for. */
export function unescapeStrace(text: string): Buffer {
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, r: 13, t: 9, v: 11, f: 12, a: 7, b: 8, '"': 34, "\\": 92 };
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char !== 92) {
      // strace prints other bytes as they are; anything past Latin-1 would have been escaped.
      bytes.push(char & 0xff);
      continue;
    }
    const next = text[i + 1] ?? "";
    if (next in simple) {
      bytes.push(simple[next] as number);
      i += 1;
    } else if (next === "x") {
      bytes.push(Number.parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4))?.[0] ?? "";
      bytes.push(Number.parseInt(octal || "0", 8));
      i += Math.max(octal.length, 1);
    }
  }
  return Buffer.from(bytes);
}

/** The quoted strings of a call's arguments (a write's buffer, every iov_base of a writev), as bytes. */
function dataOf(call: Syscall): Buffer {
  const parts: Buffer[] = [];
  for (const quoted of call.args.matchAll(/"((?:[^"\\]|\\.)*)"/gs)) parts.push(unescapeStrace(quoted[1] as string));
  return Buffer.concat(parts);
}

function fdOf(call: Syscall): number {
  return Number(/^(\d+)/.exec(call.args)?.[1] ?? Number.NaN);
}

export interface Acknowledgement {
  readonly line: number;
  readonly tid: number;
  readonly atS: number;
  readonly fd: number;
  readonly path: string;
  readonly status: number;
  readonly key: string | undefined;
}

export interface Violation {
  readonly acknowledgement: Acknowledgement;
  readonly why: string;
}

export interface DurabilityReport {
  readonly acknowledgements: Acknowledgement[];
  readonly violations: Violation[];
  readonly walFsyncs: number;
  readonly walWrites: number;
  readonly commitFrames: number;
}

interface Request {
  readonly method: string;
  readonly path: string;
  readonly key: string | undefined;
}

/** What a connection has sent so far: requests waiting for their answers, in order. */
class Connection {
  buffered = Buffer.alloc(0);
  readonly waiting: Request[] = [];

  take(bytes: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, bytes]);
    for (;;) {
      const end = this.buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = this.buffered.subarray(0, end).toString("latin1").split("\r\n");
      const [method = "", target = ""] = (head[0] ?? "").split(" ");
      const header = (name: string) =>
        head
          .slice(1)
          .find((line) => line.toLowerCase().startsWith(`${name}:`))
          ?.slice(name.length + 1)
          .trim();
      const length = Number(header("content-length") ?? "0");
      if (this.buffered.length < end + 4 + length) return;
      this.buffered = this.buffered.subarray(end + 4 + length);
      this.waiting.push({ method, path: target.split("?")[0] as string, key: header("idempotency-key") });
    }
  }
}

interface WalEvent {
  readonly call: Syscall;
  readonly fd: number;
  readonly data: Buffer;
}

/** Checks the order of every money acknowledgement in the trace against its batch's WAL fsync. */
export function checkDurabilityOrder(calls: readonly Syscall[]): DurabilityReport {
  const files = new Map<number, string>();
  const sockets = new Map<number, Connection>();
  const walWrites: WalEvent[] = [];
  const walSyncs: Syscall[] = [];
  const commits: Syscall[] = [];
  const acknowledgements: Acknowledgement[] = [];
  const isWal = (fd: number) => files.get(fd)?.endsWith("-wal") === true;
  for (const call of calls) {
    const fd = fdOf(call);
    switch (call.name) {
      case "openat": {
        const path = /^[^,]+,\s*"((?:[^"\\]|\\.)*)"/.exec(call.args)?.[1];
        if (path !== undefined && call.result >= 0) files.set(call.result, path);
        sockets.delete(call.result);
        break;
      }
      case "accept4":
      case "accept":
        if (call.result >= 0) {
          files.delete(call.result);
          sockets.set(call.result, new Connection());
        }
        break;
      case "close":
        files.delete(fd);
        sockets.delete(fd);
        break;
      case "read":
      case "recvfrom":
        if (call.result > 0) sockets.get(fd)?.take(dataOf(call));
        break;
      case "pwrite64":
      case "write":
      case "writev":
      case "sendto":
      case "sendmsg": {
        if (isWal(fd)) {
          const data = dataOf(call);
          walWrites.push({ call, fd, data });
          // A WAL frame header is 24 bytes; bytes 4..7 hold the database size after a commit, 0 otherwise.
          if (data.length === 24 && data.readUInt32BE(4) !== 0) commits.push(call);
          break;
        }
        const connection = sockets.get(fd);
        if (connection === undefined) break;
        const data = dataOf(call);
        const status = /^HTTP\/1\.[01] (\d{3}) /.exec(data.subarray(0, 16).toString("latin1"));
        if (status === null) break;
        const request = connection.waiting.shift();
        if (request === undefined || request.method !== "POST" || !MONEY_POST.test(request.path)) break;
        const code = Number(status[1]);
        if (code < 200 || code > 299) break;
        acknowledgements.push({
          line: call.line,
          tid: call.tid,
          atS: call.startS,
          fd,
          path: request.path,
          status: code,
          key: request.key,
        });
        break;
      }
      case "fsync":
      case "fdatasync":
        if (isWal(fd)) walSyncs.push(call);
        break;
    }
  }
  const violations = acknowledgements.flatMap((ack) => {
    const why = orderBreach(ack, walWrites, commits, walSyncs);
    return why === undefined ? [] : [{ acknowledgement: ack, why }];
  });
  return {
    acknowledgements,
    violations,
    walFsyncs: walSyncs.length,
    walWrites: walWrites.length,
    commitFrames: commits.length,
  };
}

/** Why `ack` left too early, or undefined when it left after its batch's fsync. */
function orderBreach(
  ack: Acknowledgement,
  walWrites: readonly WalEvent[],
  commits: readonly Syscall[],
  walSyncs: readonly Syscall[],
): string | undefined {
  if (ack.key === undefined) return "acknowledged without an Idempotency-Key: its batch cannot be found";
  const needle = Buffer.from(ack.key, "latin1");
  const written = walWrites.find((event) => event.data.includes(needle));
  if (written === undefined) return "its key was never written to the WAL";
  if (written.call.line > ack.line)
    return `answered (line ${ack.line}) before its batch was written (line ${written.call.line})`;
  const commit = commits.find((call) => call.line > written.call.line);
  if (commit === undefined || commit.line > ack.line) return "answered before its batch's commit frame was written";
  const sync = walSyncs.find((call) => call.line > commit.line);
  if (sync === undefined) return "its batch's WAL was never fsynced";
  // On one thread the order of the lines is the order of the calls; across threads, the clock decides.
  if (sync.endLine > ack.line || (sync.tid !== ack.tid && sync.endS > ack.atS)) {
    return `answered (line ${ack.line}) before the fsync of its batch finished (line ${sync.endLine})`;
  }
  return undefined;
}
