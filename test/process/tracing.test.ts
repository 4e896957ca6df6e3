import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { tracingConfigFrom } from "../../src/tracing/config.js";
import { ADMIN_TOKEN, childEnv, cleanup, createUser, request, serve, tempDir } from "./support.js";

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}

interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes: Map<string, string | number | boolean>;
  readonly statusCode: number;
  readonly resource: Map<string, string | number | boolean>;
}

function attributeValue(value: OtlpValue): string | number | boolean {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  throw new Error(`an attribute value of a kind this receiver does not read: ${JSON.stringify(value)}`);
}

function attributesOf(list: { key: string; value: OtlpValue }[] | undefined): Map<string, string | number | boolean> {
  return new Map((list ?? []).map(({ key, value }) => [key, attributeValue(value)]));
}

/** OTLP/HTTP ids are hex in JSON; some encoders send base64 instead. */
const hex = (id: string | undefined) =>
  id === undefined || id === ""
    ? ""
    : /^[0-9a-f]+$/i.test(id)
      ? id.toLowerCase()
      : Buffer.from(id, "base64").toString("hex");

/** A real OTLP/HTTP receiver on 127.0.0.1: it decodes what the exporter POSTs to /v1/traces. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly contentTypes: string[] = [];
  #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      this.contentTypes.push(req.headers["content-type"] ?? "");
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      for (const resourceSpans of body.resourceSpans ?? []) {
        const resource = attributesOf(resourceSpans.resource?.attributes);
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? []) {
            this.spans.push({
              traceId: hex(span.traceId),
              spanId: hex(span.spanId),
              parentSpanId: hex(span.parentSpanId),
              name: span.name,
              kind: span.kind,
              startNs: BigInt(span.startTimeUnixNano),
              endNs: BigInt(span.endTimeUnixNano),
              attributes: attributesOf(span.attributes),
              statusCode: span.status?.code ?? 0,
              resource,
            });
          }
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

describe("tracing over OTLP/HTTP", () => {
  const receiver = new OtlpReceiver();
  let endpoint: string;
  before(async () => {
    endpoint = await receiver.listen();
  });
  after(async () => {
    await cleanup();
    await receiver.close();
  });

  it("reads the endpoint as OpenTelemetry's variables say, and is off without one", () => {
    assert.equal(tracingConfigFrom({}, undefined, "1"), undefined);
    assert.equal(tracingConfigFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "  " }, undefined, "1"), undefined);
    assert.equal(
      tracingConfigFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" }, undefined, "1"),
      undefined,
    );
    assert.deepEqual(tracingConfigFrom({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318/" }, undefined, "1"), {
      tracesUrl: "http://c:4318/v1/traces",
      serviceName: "hongbao",
      serviceVersion: "1",
    });
    assert.equal(
      tracingConfigFrom(
        { OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t:1/x" },
        undefined,
        "1",
      )?.tracesUrl,
      "http://t:1/x",
    );
    assert.equal(
      tracingConfigFrom({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://t:1/x" }, "http://flag:2", "1")?.tracesUrl,
      "http://flag:2/v1/traces",
    );
    assert.throws(() => tracingConfigFrom({}, "grpc://c:4317", "1"), /not http\(s\)/);
    assert.throws(() => tracingConfigFrom({}, "not a url", "1"), /not a URL/);
  });

  it("exports request and batch spans, continuing an incoming traceparent", { timeout: 60_000 }, async () => {
    const db = join(tempDir(), "hongbao.db");
    const { proc, url } = await serve({
      db,
      env: childEnv({
        HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN,
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_SERVICE_NAME: "hongbao-under-test",
      }),
    });
    const alice = await createUser(url);
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parentId = "00f067aa0ba902b7";
    const deposited = await fetch(`${url}/v1/admin/deposits`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        "content-type": "application/json",
        "idempotency-key": "traced-deposit-1",
        traceparent: `00-${traceId}-${parentId}-01`,
      },
      body: JSON.stringify({ userId: alice.userId, amount: 1314 }),
    });
    assert.equal(deposited.status, 201, await deposited.text());
    // A campaign claim takes the fast path, outside the framework: it is traced all the same.
    const campaign = await request(url, "POST", "/v1/admin/campaigns", {
      token: ADMIN_TOKEN,
      body: {
        name: "traced",
        budget: 1314,
        amount: { fixed: 1314 },
        startsAt: new Date(Date.now() - 1000).toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    assert.equal(campaign.status, 201, campaign.text);
    const claimed = await request(url, "POST", `/v1/campaigns/${campaign.json().id}/claim`, { token: alice.token });
    assert.equal(claimed.status, 200, claimed.text);
    const missing = await request(url, "GET", "/v1/no-such-route");
    assert.equal(missing.status, 404);
    // Draining on SIGTERM exports what is left.
    await proc.kill("SIGTERM");
    assert.deepEqual(await proc.exited, { code: 0, signal: null });

    assert.ok(receiver.contentTypes.length > 0, "the receiver got exports");
    assert.ok(receiver.contentTypes.every((type) => type.startsWith("application/json")));
    const spans = receiver.spans;
    const deposit = spans.find((span) => span.name === "POST /v1/admin/deposits");
    assert.ok(deposit, `a deposit span among ${spans.map((span) => span.name).join(", ")}`);
    assert.equal(deposit.traceId, traceId, "the incoming trace goes on");
    assert.equal(deposit.parentSpanId, parentId, "the incoming span is the parent");
    assert.equal(deposit.kind, 2, "SERVER");
    assert.equal(deposit.attributes.get("http.request.method"), "POST");
    assert.equal(deposit.attributes.get("http.route"), "/v1/admin/deposits");
    assert.equal(deposit.attributes.get("url.path"), "/v1/admin/deposits");
    assert.equal(deposit.attributes.get("http.response.status_code"), 201);
    assert.ok(deposit.endNs > deposit.startNs);
    assert.equal(deposit.resource.get("service.name"), "hongbao-under-test");

    const user = spans.find((span) => span.name === "POST /v1/admin/users");
    assert.ok(user);
    assert.notEqual(user.traceId, traceId, "a request without traceparent starts its own trace");
    assert.equal(user.parentSpanId, "");

    const claim = spans.find((span) => span.name === "POST /v1/campaigns/:id/claim");
    assert.ok(claim, "the fast path's claim is named by its route");
    assert.equal(claim.attributes.get("http.response.status_code"), 200);
    const unmatched = spans.find((span) => span.attributes.get("url.path") === "/v1/no-such-route");
    assert.equal(unmatched?.attributes.get("http.response.status_code"), 404);

    const batches = spans.filter((span) => span.name === "engine batch");
    assert.ok(batches.length >= 3, `batches: ${batches.length}`);
    for (const batch of batches) {
      for (const key of [
        "hongbao.batch.commands",
        "hongbao.batch.claims",
        "hongbao.batch.commit_ms",
        "hongbao.batch.queue_wait_ms_max",
        "hongbao.batch.queue_wait_ms_mean",
      ]) {
        assert.equal(typeof batch.attributes.get(key), "number", `${key} on a batch span`);
      }
      assert.ok(batch.endNs >= batch.startNs);
    }
    assert.ok(batches.some((batch) => batch.attributes.get("hongbao.batch.claims") === 1));
    // A batch of timers alone (a campaign's start writes its campaign.started event) has no commands.
    assert.ok(batches.every((batch) => Number.isInteger(batch.attributes.get("hongbao.batch.commands"))));
    assert.ok(batches.filter((batch) => (batch.attributes.get("hongbao.batch.commands") as number) >= 1).length >= 3);
  });

  it("loads no OpenTelemetry module when tracing is off, and does when it is on", { timeout: 60_000 }, async () => {
    // A module hook that names every @opentelemetry module the server resolves, on stderr.
    const dir = tempDir();
    const hooks = join(dir, "hooks.mjs");
    writeFileSync(
      hooks,
      `export async function resolve(specifier, context, next) {
        if (specifier.startsWith("@opentelemetry/")) process.stderr.write("resolved " + specifier + "\\n");
        return next(specifier, context);
      }\n`,
    );
    const register = join(dir, "register.mjs");
    writeFileSync(
      register,
      `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    const run = async (extra: Record<string, string>) => {
      const { proc, url } = await serve({
        db: join(tempDir(), "hongbao.db"),
        env: childEnv({ HONGBAO_ADMIN_TOKEN: ADMIN_TOKEN, NODE_OPTIONS: `--import ${register}`, ...extra }),
      });
      await createUser(url);
      await proc.kill("SIGTERM");
      await proc.exited;
      return proc.stderr;
    };
    assert.doesNotMatch(await run({}), /resolved @opentelemetry/);
    assert.match(await run({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }), /resolved @opentelemetry\/sdk-trace-base/);
  });
});
