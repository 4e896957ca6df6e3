import assert from "node:assert/strict";
import http from "node:http";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { cleanup, type LogLine, serve, sleep, tempDir } from "./support.js";

/** GET on a connection of its own, closed after the answer: every request is a new connection to accept. */
function getOnNewConnection(url: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${url}${path}`, { agent: false, headers: { connection: "close" } }, (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode ?? 0));
    });
    request.setTimeout(10_000, () => request.destroy(new Error("no answer in 10 s")));
    request.on("error", reject);
  });
}

describe("serve --edges 1: the one edge accepts its connections itself", () => {
  after(cleanup);

  it("answers on new connections, and its replacement does after it is killed", async () => {
    const { proc, url } = await serve({ edges: "1", db: join(tempDir(), "hongbao.db") });
    const edges = () => proc.lines.filter((l) => l.msg === "edge listening");
    for (let i = 0; i < 50; i++) assert.equal(await getOnNewConnection(url, "/healthz"), 200);

    const first = edges()[0] as LogLine;
    process.kill(Number(first.pid), "SIGKILL");
    const until = Date.now() + 90_000;
    while (edges().length < 2) {
      assert.ok(Date.now() < until, "no edge listening again within 90 s");
      await sleep(50);
    }
    // With --port 0 the listening socket goes with the last edge, so the new one may have another port.
    const port = ((edges()[1] as LogLine).address as { port: number }).port;
    const again = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 50; i++) assert.equal(await getOnNewConnection(again, "/healthz"), 200);
    await proc.kill("SIGTERM");
  });
});
