import { Agent, type IncomingHttpHeaders, request } from "node:http";
import { exchange } from "./raw-http.js";

export interface Sent {
  readonly method: string;
  /** The request target: path and query, sent as it is. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

export interface Reply {
  readonly status: number;
  readonly headers: Readonly<IncomingHttpHeaders>;
  readonly body: string;
}

/** A keep-alive HTTP/1.1 client for one server on 127.0.0.1; what node:http will not send goes on a raw socket. */
export class Client {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 8 });

  constructor(readonly port: number) {}

  send(sent: Sent): Promise<Reply> {
    return new Promise((resolve, reject) => {
      let outgoing: ReturnType<typeof request>;
      try {
        outgoing = request(
          {
            host: "127.0.0.1",
            port: this.port,
            method: sent.method,
            path: sent.path,
            agent: this.#agent,
            headers: {
              ...sent.headers,
              ...(sent.body === undefined ? {} : { "content-length": String(Buffer.byteLength(sent.body)) }),
            },
          },
          (incoming) => {
            const chunks: Buffer[] = [];
            incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
            incoming.on("end", () =>
              resolve({
                status: incoming.statusCode ?? 0,
                headers: incoming.headers,
                body: Buffer.concat(chunks).toString("utf8"),
              }),
            );
            incoming.on("error", reject);
          },
        );
      } catch {
        // node:http refuses to send some header bytes and paths: send those as they are.
        this.#sendRaw(sent).then(resolve, reject);
        return;
      }
      outgoing.on("error", reject);
      outgoing.end(sent.body);
    });
  }

  async #sendRaw(sent: Sent): Promise<Reply> {
    const body = sent.body === undefined ? Buffer.alloc(0) : Buffer.from(sent.body);
    let head = `${sent.method} ${sent.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`;
    for (const [name, value] of Object.entries(sent.headers ?? {})) head += `${name}: ${value}\r\n`;
    head += `Content-Length: ${body.length}\r\n\r\n`;
    const result = await exchange(this.port, [Buffer.concat([Buffer.from(head, "utf8"), body])]);
    const response = result.responses[0];
    if (response === undefined) throw new Error(`no answer to a raw ${sent.method} ${sent.path}: ${result.rest}`);
    return { status: response.status, headers: response.headers, body: response.body };
  }

  close(): void {
    this.#agent.destroy();
  }
}
