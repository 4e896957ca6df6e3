/** Reads Prometheus' text format, enough for the console's figures. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = LINE.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? "").matchAll(LABEL)) labels[label[1] as string] = label[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** A quantile in ms from a histogram's cumulative buckets (the bucket's upper bound), summed over matching series. */
export function quantileOf(samples: Sample[], histogram: string, q: number, match: Record<string, string>) {
  const buckets = new Map<number, number>();
  for (const sample of samples) {
    if (sample.name !== `${histogram}_bucket`) continue;
    if (!Object.entries(match).every(([k, v]) => sample.labels[k] === v)) continue;
    const le = sample.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + sample.value);
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted[sorted.length - 1]?.[1] ?? 0;
  if (total === 0) return null;
  for (const [le, count] of sorted) {
    if (count >= q * total) return Number.isFinite(le) ? le * 1000 : null;
  }
  return null;
}
