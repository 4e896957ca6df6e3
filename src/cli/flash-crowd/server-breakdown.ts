/**
 * Where a claim's time went on the server's side, from its /metrics read before and after the
 * crowd: from the request's read to its answer (the claim route), the wait at the crowd gate
 * and in the engine's claim lane, the writer's commits, the event loop's lag (prom-client's own, which starts over at
 * each read), and the claims the gate answered with a place at once. What the tool measures
 * from the write minus what the server saw from the read is time neither could see: bytes in
 * the kernel's buffers before the server read them, and the answer's way back.
 */

export interface ServerBreakdown {
  /** Read → answer of the claim route, ms: the bucket bound under which p50 / p99 fall (negative: past that bound). */
  readonly claimReadToAnswerP50Ms: number;
  readonly claimReadToAnswerP99Ms: number;
  readonly gateWaitP99Ms: number;
  readonly laneWaitP99Ms: number;
  /** The writer's commits, ms: with SQLite they run on the event loop, fsync included. */
  readonly commitP99Ms: number;
  readonly commitMaxBucketMs: number;
  readonly eventLoopLagP99Ms: number;
  readonly eventLoopLagMaxMs: number;
  readonly lateAtOnce: number;
}

type Samples = Map<string, number>;

const CLAIM_ROUTE = 'route="/v1/campaigns/:id/claim"';

/** Reads the server's metrics; undefined if it does not answer them. */
export async function readMetrics(url: string): Promise<Samples | undefined> {
  try {
    const response = await fetch(new URL("/metrics", url), { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) return undefined;
    const samples: Samples = new Map();
    for (const line of (await response.text()).split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      const space = line.lastIndexOf(" ");
      samples.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
    return samples;
  } catch {
    return undefined;
  }
}

/** The breakdown of the run between two reads of the metrics. */
export function breakdown(before: Samples, after: Samples): ServerBreakdown {
  const ms = (seconds: number) => Math.round(seconds * 100_000) / 100;
  const claim = (labels: string) => labels.includes(CLAIM_ROUTE);
  const gate = (labels: string) => labels.includes('class="campaign"') && labels.includes('queue="gate"');
  const lane = (labels: string) => labels.includes('class="campaign"') && labels.includes('queue="engine"');
  const read = (name: string) => after.get(name) ?? 0;
  return {
    claimReadToAnswerP50Ms: ms(quantile(before, after, "hongbao_http_request_duration_seconds", claim, 0.5)),
    claimReadToAnswerP99Ms: ms(quantile(before, after, "hongbao_http_request_duration_seconds", claim, 0.99)),
    gateWaitP99Ms: ms(quantile(before, after, "hongbao_queue_wait_seconds", gate, 0.99)),
    laneWaitP99Ms: ms(quantile(before, after, "hongbao_queue_wait_seconds", lane, 0.99)),
    commitP99Ms: ms(quantile(before, after, "hongbao_engine_commit_seconds", () => true, 0.99)),
    commitMaxBucketMs: ms(quantile(before, after, "hongbao_engine_commit_seconds", () => true, 1)),
    eventLoopLagP99Ms: ms(read("nodejs_eventloop_lag_p99_seconds")),
    eventLoopLagMaxMs: ms(read("nodejs_eventloop_lag_max_seconds")),
    lateAtOnce: read("hongbao_crowd_late_at_once_total") - (before.get("hongbao_crowd_late_at_once_total") ?? 0),
  };
}

/**
 * The bucket bound under which quantile `q` of a histogram's observations between the two
 * reads fall, summed over the series `pick` chooses; minus the largest finite bound when they
 * fall past it.
 */
function quantile(before: Samples, after: Samples, name: string, pick: (labels: string) => boolean, q: number) {
  const buckets = new Map<number, number>();
  for (const [key, value] of after) {
    if (!key.startsWith(`${name}_bucket{`) || !pick(key)) continue;
    const le = /le="([^"]+)"/.exec(key)?.[1];
    if (le === undefined) continue;
    const bound = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + value - (before.get(key) ?? 0));
  }
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Number.POSITIVE_INFINITY) ?? 0;
  if (total <= 0) return 0;
  const finite = bounds.filter(Number.isFinite);
  // Past the largest finite bound, say so: a negative bound, which the report prints as "> bound".
  for (const bound of bounds) {
    if ((buckets.get(bound) as number) >= q * total) return Number.isFinite(bound) ? bound : -(finite.at(-1) ?? 0);
  }
  return 0;
}
