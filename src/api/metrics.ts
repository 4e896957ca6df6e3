import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { ESCROW, FUNDING } from "../domain/accounts.js";
import type { Engine, EngineObserver } from "../engine/engine.js";
import type { CrowdGateStats } from "./crowd-gate.js";
import type { PriorityClass } from "./priority.js";
import { TallyCounter } from "./tally-counter.js";
import { TallyHistogram } from "./tally-histogram.js";

/** A read of the engine's memory for a gauge: 0 before the engine starts or while it rebuilds after a failed commit. */
function ledgerRead(engine: () => Engine | undefined, read: (engine: Engine) => number): number {
  try {
    const current = engine();
    return current === undefined ? 0 : read(current);
  } catch {
    return 0;
  }
}

/** The series an answered request is counted in. */
export interface RequestSeries {
  readonly count: { inc(): void };
  readonly latency: { observe(value: number): void };
}

/** Prometheus metrics of one app instance, on its own registry so several can live in one process. */
export class Metrics {
  readonly registry = new Registry();
  // The request, latency, claim and admission series count every answer: tallies of our own
  // (src/api/tally-counter.ts, src/api/tally-histogram.ts), read as prom-client's are.
  readonly requests = new TallyCounter({
    name: "hongbao_http_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["method", "route", "status"],
    registers: [this.registry],
  });
  readonly latency = new TallyHistogram({
    name: "hongbao_http_request_duration_seconds",
    help: "HTTP request latency by route and status",
    labelNames: ["method", "route", "status"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: "hongbao_engine_batch_size",
    help: "Commands per committed batch",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: "hongbao_engine_commit_seconds",
    help: "Time to apply and durably commit one batch",
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [this.registry],
  });
  readonly grabs = new Counter({
    name: "hongbao_red_packet_grabs_total",
    help: "Red-packet grab answers by outcome: grabbed, or the error code in lower case (sold_out, already_grabbed …)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly claims = new TallyCounter({
    name: "hongbao_campaign_claims_total",
    help: "Campaign claim answers by outcome: claimed, shed (by admission), late (waited past the crowd gate's deadline), or the error code in lower case (sold_out, already_claimed …)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly timersFired = new Counter({
    name: "hongbao_timers_fired_total",
    help: "Timers that fired in a durable batch, by kind: refund (an unanswered transfer after 24 h), expiry (an unopened packet), campaignStart, campaignEnd",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly admission = new TallyCounter({
    name: "hongbao_admission_total",
    help: "Admission decisions by priority class (critical: transfers and packets; campaign: claims; read) and decision (admitted, or shed with 503); claims that waited at the crowd gate first are hongbao_crowd_parks_total",
    labelNames: ["class", "decision"],
    registers: [this.registry],
  });
  readonly queueWait = new TallyHistogram({
    name: "hongbao_queue_wait_seconds",
    help: "How long requests waited before they were decided, by priority class (critical: transfers and packets, and claims too with isolation off; campaign: claims) and queue (gate: the crowd gate in front of the event loop, claims only; engine: the engine's lane until a batch took them). Reads never wait: they are answered or shed at once",
    labelNames: ["class", "queue"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly #waitChildren = {
    gate: this.queueWait.labels({ class: "campaign", queue: "gate" }),
    critical: this.queueWait.labels({ class: "critical", queue: "engine" }),
    campaign: this.queueWait.labels({ class: "campaign", queue: "engine" }),
  };
  readonly queueDepth: Gauge;
  readonly webhookAttempts = new Counter({
    name: "hongbao_webhook_attempts_total",
    help: "Webhook delivery attempts by what came of them: delivered, retry (pending), failed (given up)",
    labelNames: ["outcome"],
    registers: [this.registry],
  });
  readonly eventsPruned = new Counter({
    name: "hongbao_events_pruned_total",
    help: "Events deleted from the outbox past their retention (with their settled webhook deliveries)",
    registers: [this.registry],
  });
  readonly commitFailures = new Counter({
    name: "hongbao_engine_commit_failures_total",
    help: "Batches that could not be made durable (their commands were answered 503 and memory was rebuilt from the store)",
    registers: [this.registry],
  });

  constructor(engine: () => Engine | undefined, gate: () => CrowdGateStats | undefined = () => undefined) {
    this.queueDepth = new Gauge({
      name: "hongbao_engine_queue_depth",
      help: "Commands waiting for the engine, by lane (critical: transfers and packets; campaign: claims)",
      labelNames: ["lane"],
      registers: [this.registry],
      collect() {
        for (const lane of ["critical", "campaign"] as const) this.set({ lane }, engine()?.laneDepth(lane) ?? 0);
      },
    });
    new Gauge({
      name: "hongbao_engine_queue_delay_seconds",
      help: "Moving average of how long commands waited for their batch, by lane: the overload signal",
      labelNames: ["lane"],
      registers: [this.registry],
      collect() {
        for (const lane of ["critical", "campaign"] as const)
          this.set({ lane }, (engine()?.queueDelayMs(lane) ?? 0) / 1000);
      },
    });
    const gateGauges: [name: string, help: string, read: (stats: CrowdGateStats) => number][] = [
      [
        "hongbao_crowd_turn_seconds",
        "How long the last event-loop turn that handled claims took: what a transfer read in it waited",
        (stats) => stats.turnMs / 1000,
      ],
      [
        "hongbao_crowd_waiting_claims",
        "Claims read but not yet decided, their connections parked until the event loop catches up",
        (stats) => stats.waiting,
      ],
      [
        "hongbao_crowd_gate_budget",
        "Claims the crowd gate lets through per event-loop turn now",
        (stats) => stats.budget,
      ],
      [
        "hongbao_crowd_parks_total",
        "Claims that waited in the crowd gate since start (a counter, read from the gate)",
        (stats) => stats.parkedTotal,
      ],
      [
        "hongbao_crowd_stops_total",
        "Connections the crowd gate stopped reading since start, at their second waiting claim: clients that pipeline claims (a counter, read from the gate)",
        (stats) => stats.stoppedTotal,
      ],
      [
        "hongbao_crowd_late_at_once_total",
        "Claims the crowd gate let through as late on arrival, because the queue ahead would outlast the first-answer budget (a counter, read from the gate)",
        (stats) => stats.lateAtOnceTotal,
      ],
    ];
    for (const [name, help, read] of gateGauges) {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const stats = gate();
          this.set(stats === undefined ? 0 : read(stats));
        },
      });
    }
    new Gauge({
      name: "hongbao_ledger_escrow_fen",
      help: "Fen held in escrow: pending transfers and what nobody has grabbed yet of open packets (in memory, a batch ahead of the disk at most)",
      registers: [this.registry],
      collect() {
        this.set(ledgerRead(engine, (current) => current.balanceOf(ESCROW)));
      },
    });
    new Gauge({
      name: "hongbao_ledger_deposited_fen",
      help: "Fen that entered through deposits and has not left: minus the funding account's balance, so every wallet, escrow and budget sum to it",
      registers: [this.registry],
      collect() {
        this.set(ledgerRead(engine, (current) => -current.balanceOf(FUNDING)));
      },
    });
    // Stock dashboards (Grafana's Node.js ones) look for the standard names; the prefixed
    // copies stay for the dashboards and alerts already written against them.
    collectDefaultMetrics({ register: this.registry });
    collectDefaultMetrics({ register: this.registry, prefix: "hongbao_" });
  }

  /** The live event streams' figures, read from them when scraped. */
  watchLive(live: {
    readonly open: number;
    readonly counts: Readonly<Record<"sent" | "shed" | "dropped", number>>;
  }): void {
    new Gauge({
      name: "hongbao_live_streams",
      help: "Live event streams open (GET /v1/me/events)",
      registers: [this.registry],
      collect() {
        this.set(live.open);
      },
    });
    new Gauge({
      name: "hongbao_live_events_total",
      help: "Live events since start by outcome: sent, shed (the service was crowded; the stream is told to reload), dropped (a reader too slow, its stream closed); a counter, read from the streams",
      labelNames: ["outcome"],
      registers: [this.registry],
      collect() {
        for (const outcome of ["sent", "shed", "dropped"] as const) this.set({ outcome }, live.counts[outcome]);
      },
    });
  }

  /** Label children by method, route and status: bounded by the routes and statuses there are. */
  readonly #requestChildren = new Map<string, RequestSeries>();
  /** Claim-outcome children, looked up once and reused: claims are the crowd's hot path. */
  readonly #claimChildren = new Map<string, { inc(): void }>();
  /** Every admission child, made up front: three classes by two decisions. */
  readonly #admissionChildren = Object.fromEntries(
    (["critical", "campaign", "read"] as const).map((priority) => [
      priority,
      {
        admitted: this.admission.labels({ class: priority, decision: "admitted" }),
        shed: this.admission.labels({ class: priority, decision: "shed" }),
      },
    ]),
  ) as Record<PriorityClass, Record<"admitted" | "shed", { inc(): void }>>;

  /** Counts one admission decision by priority class. */
  countAdmission(priority: PriorityClass, decision: "admitted" | "shed"): void {
    this.#admissionChildren[priority][decision].inc();
  }

  /** Counts one claim answer by outcome (claimed, shed, late, or an error code in lower case). */
  countClaim(outcome: string): void {
    let child = this.#claimChildren.get(outcome);
    if (child === undefined) {
      child = this.claims.labels({ outcome });
      this.#claimChildren.set(outcome, child);
    }
    child.inc();
  }

  /** Counts one answered request; the label children are looked up once and reused. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const children = this.requestSeries(method, route, status);
    children.count.inc();
    children.latency.observe(seconds);
  }

  /** The count and latency series of one method, route and status: for a caller that keeps them. */
  requestSeries(method: string, route: string, status: number): RequestSeries {
    const key = `${method} ${route} ${status}`;
    let children = this.#requestChildren.get(key);
    if (children === undefined) {
      const labels = { method, route, status: String(status) };
      children = { count: this.requests.labels(labels), latency: this.latency.labels(labels) };
      this.#requestChildren.set(key, children);
    }
    return children;
  }

  /** A claim's wait at the crowd gate, in ms. */
  observeGateWait(waitedMs: number): void {
    this.#waitChildren.gate.observe(waitedMs / 1000);
  }

  readonly wireCalls = new TallyHistogram({
    name: "hongbao_wire_call_seconds",
    help: "Calls between edges and the writer, by side (edge: from sending to the reply, wire and writer included; writer: from arrival to the reply, its batch included) and call",
    labelNames: ["side", "op"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly wireConnections = new Gauge({
    name: "hongbao_wire_connections",
    help: "Connections on the edge-writer wire (at the writer: edges connected; at an edge: 1 while its writer is connected)",
    registers: [this.registry],
  });

  /**
   * Wire-call series by side and op, looked up once and reused: every claim through an edge
   * is one call each side. Bounded by the calls there are: the writer observes only calls it
   * has, an edge only calls it makes.
   */
  readonly #wireChildren = {
    writer: new Map<string, { observe(value: number): void }>(),
    edge: new Map<string, { observe(value: number): void }>(),
  };

  /** By side, then by op: no key string built a call. */
  #observeWire(side: "writer" | "edge", op: string, seconds: number): void {
    const children = this.#wireChildren[side];
    let child = children.get(op);
    if (child === undefined) {
      child = this.wireCalls.labels({ side, op });
      children.set(op, child);
    }
    child.observe(seconds);
  }

  readonly wireObserver = {
    callServed: (op: string, seconds: number) => this.#observeWire("writer", op, seconds),
    connections: (count: number) => this.wireConnections.set(count),
  };

  /** At an edge: a call's round trip to the writer. */
  observeWireCall(op: string, seconds: number): void {
    this.#observeWire("edge", op, seconds);
  }

  readonly engineObserver: EngineObserver = {
    batchCommitted: (commands, seconds) => {
      this.batchSize.observe(commands);
      this.commitSeconds.observe(seconds);
    },
    commandWaited: (lane, seconds) => this.#waitChildren[lane].observe(seconds),
    commitFailed: () => this.commitFailures.inc(),
    timersFired: (kind, count) => this.timersFired.inc({ kind }, count),
  };
}
