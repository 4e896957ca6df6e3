import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SIGNATURE_HEADER, verifySignature } from "../../src/webhooks/signature.js";

/** One request as the receiver took it, and what it answered. */
export interface Received {
  readonly eventId: string;
  readonly type: string;
  readonly body: string;
  readonly signature: string;
  readonly attempt: number;
  readonly at: number;
  readonly status: number;
  readonly verdict: "accepted" | "refused-signature" | "refused-replay" | "failed-on-purpose" | "held";
}

export type ReceiverMode = "ok" | "fail" | "hold";

/** Bodies this receiver reads at most: a webhook is a small JSON object. */
const BODY_BYTES_MAX = 64 * 1024;

/**
 * A webhook receiver as a product would write one, on 127.0.0.1 at a port of its own: it
 * verifies the signature against the secrets it was given, refuses a signature it has seen
 * before (a replay) and one whose timestamp is too old, and can be made to fail (500) or to
 * hold requests unanswered, then to recover.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  secrets: string[] = [];
  mode: ReceiverMode = "ok";
  readonly #server: Server;
  readonly #seenSignatures = new Set<string>();
  readonly #held = new Set<() => void>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    const receiver = new WebhookReceiver(server);
    server.on("request", (request, response) => {
      void receiver.#take(request).then(
        (status) => {
          if (status === 0) return; // held: answered by release(), or never
          response.writeHead(status, { "content-type": "text/plain" }).end(String(status));
        },
        () => response.writeHead(400).end(),
      );
      receiver.#held.add(() => response.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks`;
  }

  /** Event ids accepted at least once. */
  acceptedIds(): Set<string> {
    return new Set(this.received.filter((r) => r.verdict === "accepted").map((r) => r.eventId));
  }

  async #take(request: IncomingMessage): Promise<number> {
    let body = "";
    for await (const chunk of request) {
      body += chunk;
      if (body.length > BODY_BYTES_MAX) return 413;
    }
    const signature = String(request.headers[SIGNATURE_HEADER] ?? "");
    const parsed = JSON.parse(body) as { id: string; type: string };
    const record = (status: number, verdict: Received["verdict"]) => {
      this.received.push({
        eventId: parsed.id,
        type: parsed.type,
        body,
        signature,
        attempt: Number(request.headers["hongbao-delivery-attempt"]),
        at: Date.now(),
        status,
        verdict,
      });
      return status;
    };
    const now = Math.floor(Date.now() / 1000);
    const valid = this.secrets.some((secret) => verifySignature(signature, body, secret, now).ok);
    if (!valid) return record(400, "refused-signature");
    if (this.#seenSignatures.has(signature)) return record(409, "refused-replay");
    this.#seenSignatures.add(signature);
    if (this.mode === "fail") return record(500, "failed-on-purpose");
    if (this.mode === "hold") {
      record(0, "held");
      return 0;
    }
    return record(200, "accepted");
  }

  /** Sends a request again as it was received: a replay. */
  async replay(received: Received): Promise<number> {
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json", [SIGNATURE_HEADER]: received.signature },
      body: received.body,
    });
    await response.arrayBuffer();
    return response.status;
  }

  async close(): Promise<void> {
    for (const destroy of this.#held) destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Waits until `done` holds, looking every 50 ms, for at most `timeoutMs` (generous: the machine is shared). */
export async function eventually(
  done: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
