/**
 * OpenTelemetry traces: a span per HTTP request (continuing an incoming `traceparent`) and a
 * span per committed engine batch, exported over OTLP/HTTP in batches. Only imported when
 * tracing is configured (src/tracing/config.ts), so a server without it never loads the SDK.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { defaultTextMapGetter, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { EngineObserver } from "../engine/engine.js";
import type { TracingConfig } from "./config.js";

/** Spans waiting for export at most; past it new spans are dropped, never queued without bound. */
const EXPORT_QUEUE_SPANS_MAX = 8192;
const EXPORT_BATCH_SPANS_MAX = 512;
const EXPORT_TIMEOUT_MS = 5_000;
/** A path or route longer than this is cut in its attribute: spans stay small. */
const ATTRIBUTE_CHARS_MAX = 256;

export interface Tracing {
  /** Wraps the server's request listener: one SERVER span per request, ended when its answer is sent or its connection closes. */
  wrap(listener: RequestListener): RequestListener;
  /** Names the request's span by its route, once the router (or the claim fast path) knows it. */
  routed(request: IncomingMessage, route: string): void;
  /** A span per committed batch: its size, commit time and how long its commands queued. */
  readonly engineObserver: EngineObserver;
  /** Exports what is left and stops. */
  shutdown(): Promise<void>;
}

export function startTracing(config: TracingConfig): Tracing {
  const version = config.serviceVersion;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": config.serviceName, "service.version": version }),
    spanLimits: { attributeValueLengthLimit: ATTRIBUTE_CHARS_MAX },
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl, timeoutMillis: EXPORT_TIMEOUT_MS }), {
        maxQueueSize: EXPORT_QUEUE_SPANS_MAX,
        maxExportBatchSize: EXPORT_BATCH_SPANS_MAX,
        exportTimeoutMillis: EXPORT_TIMEOUT_MS,
      }),
    ],
  });
  const tracer = provider.getTracer("hongbao", version);
  const propagator = new W3CTraceContextPropagator();
  const spans = new WeakMap<IncomingMessage, Span>();

  const end = (span: Span, response: ServerResponse) => {
    if (!response.writableFinished) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: "the connection closed before the answer was sent" });
    } else {
      span.setAttribute("http.response.status_code", response.statusCode);
      if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  };

  // Commands of the batch being committed: commandWaited comes for each before batchCommitted.
  const waited = { commands: 0, claims: 0, secondsSum: 0, secondsMax: 0 };
  const batchSpan = (commands: number, commitSeconds: number) => {
    const endedAt = performance.timeOrigin + performance.now();
    const span = tracer.startSpan("engine batch", {
      kind: SpanKind.INTERNAL,
      startTime: endedAt - commitSeconds * 1000,
      attributes: {
        "hongbao.batch.commands": commands,
        "hongbao.batch.claims": waited.claims,
        "hongbao.batch.commit_ms": commitSeconds * 1000,
        "hongbao.batch.queue_wait_ms_max": waited.secondsMax * 1000,
        "hongbao.batch.queue_wait_ms_mean": waited.commands === 0 ? 0 : (waited.secondsSum / waited.commands) * 1000,
      },
    });
    waited.commands = 0;
    waited.claims = 0;
    waited.secondsSum = 0;
    waited.secondsMax = 0;
    return { span, endedAt };
  };

  return {
    wrap: (listener) => (request, response) => {
      const parent = propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
      const path = request.url === undefined ? "" : request.url.split("?", 1)[0];
      const span = tracer.startSpan(
        request.method ?? "HTTP",
        { kind: SpanKind.SERVER, attributes: { "http.request.method": request.method ?? "", "url.path": path } },
        parent,
      );
      spans.set(request, span);
      response.once("close", () => end(span, response));
      listener(request, response);
    },
    routed: (request, route) => {
      const span = spans.get(request);
      if (span === undefined) return;
      span.updateName(`${request.method ?? "HTTP"} ${route}`);
      span.setAttribute("http.route", route);
    },
    engineObserver: {
      commandWaited: (lane, seconds) => {
        waited.commands += 1;
        if (lane === "campaign") waited.claims += 1;
        waited.secondsSum += seconds;
        if (seconds > waited.secondsMax) waited.secondsMax = seconds;
      },
      batchCommitted: (commands, seconds) => {
        const { span, endedAt } = batchSpan(commands, seconds);
        span.end(endedAt);
      },
      commitFailed: (error) => {
        const { span } = batchSpan(waited.commands, 0);
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: "the batch could not be made durable" });
        span.end();
      },
    },
    shutdown: () => provider.shutdown(),
  };
}
