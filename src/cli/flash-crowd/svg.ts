/**
 * Two small inline-SVG charts (stacked bars, lines) for the HTML report: no scripts, no fonts,
 * no external assets, so the report is one file that opens anywhere.
 */

export interface ChartFrame {
  readonly title: string;
  readonly yLabel: string;
  /** Seconds from the start instant, the x range. */
  readonly xMin: number;
  readonly xMax: number;
  /** The burst window [0, burstSeconds], shaded. */
  readonly burstSeconds: number;
  readonly width?: number;
  readonly height?: number;
}

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly dashed?: boolean;
}

export interface BarBucket {
  readonly t: number;
  readonly values: readonly number[];
}

export interface LineSeries extends Series {
  /** (seconds, value) with null for a gap. */
  readonly points: readonly (readonly [number, number | null])[];
}

const MARGIN = { left: 64, right: 16, top: 28, bottom: 36 } as const;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function niceStep(range: number, count: number): number {
  if (!(range > 0)) return 1;
  const raw = range / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

const num = (value: number) => (Math.abs(value) >= 1000 ? value.toLocaleString("en-US") : String(+value.toFixed(3)));

interface Scales {
  readonly width: number;
  readonly height: number;
  x(seconds: number): number;
  y(value: number): number;
}

function frame(f: ChartFrame, yMax: number, log: { min: number } | undefined, body: (s: Scales) => string): string {
  const width = f.width ?? 920;
  const height = f.height ?? 260;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const xSpan = Math.max(1e-9, f.xMax - f.xMin);
  const x = (s: number) => MARGIN.left + ((s - f.xMin) / xSpan) * plotW;
  const logMin = log?.min ?? 1;
  const top = Math.max(yMax, log === undefined ? 1e-9 : logMin * 10);
  const y =
    log === undefined
      ? (v: number) => MARGIN.top + plotH - (Math.max(0, v) / top) * plotH
      : (v: number) =>
          MARGIN.top +
          plotH -
          ((Math.log10(Math.max(v, logMin)) - Math.log10(logMin)) / (Math.log10(top) - Math.log10(logMin))) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(f.title)}">`,
  );
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(
    `<text x="${MARGIN.left}" y="18" font-size="14" font-weight="600" fill="#222">${escapeHtml(f.title)}</text>`,
  );
  // The burst window.
  const b0 = x(Math.max(f.xMin, 0));
  const b1 = x(Math.min(f.xMax, f.burstSeconds));
  if (b1 > b0) {
    parts.push(
      `<rect x="${b0.toFixed(1)}" y="${MARGIN.top}" width="${(b1 - b0).toFixed(1)}" height="${plotH}" fill="#fdecea"/>`,
    );
  }
  // Y grid and ticks.
  const yTicks: number[] = [];
  if (log === undefined) {
    const step = niceStep(top, 5);
    for (let v = 0; v <= top * 1.0001; v += step) yTicks.push(v);
  } else {
    for (let v = logMin; v <= top * 1.0001; v *= 10) yTicks.push(v);
  }
  for (const v of yTicks) {
    const py = y(v).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${py}" y2="${py}" stroke="#e5e5e5"/>`);
    parts.push(
      `<text x="${MARGIN.left - 6}" y="${py}" font-size="11" fill="#555" text-anchor="end" dominant-baseline="middle">${num(v)}</text>`,
    );
  }
  // X ticks.
  const xStep = niceStep(xSpan, 10);
  for (let s = Math.ceil(f.xMin / xStep) * xStep; s <= f.xMax + 1e-9; s += xStep) {
    const px = x(s).toFixed(1);
    parts.push(`<line x1="${px}" x2="${px}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 4}" stroke="#888"/>`);
    parts.push(
      `<text x="${px}" y="${MARGIN.top + plotH + 16}" font-size="11" fill="#555" text-anchor="middle">${num(s)}</text>`,
    );
  }
  parts.push(
    `<text x="${width - MARGIN.right}" y="${height - 4}" font-size="11" fill="#555" text-anchor="end">seconds from the start instant (shaded: the burst)</text>`,
  );
  parts.push(
    `<text x="14" y="${MARGIN.top + plotH / 2}" font-size="11" fill="#555" text-anchor="middle" transform="rotate(-90 14 ${MARGIN.top + plotH / 2})">${escapeHtml(f.yLabel)}</text>`,
  );
  parts.push(body({ width, height, x, y }));
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#bbb"/>`,
  );
  parts.push("</svg>");
  return parts.join("");
}

function legend(series: readonly Series[]): string {
  return `<div class="legend">${series
    .map(
      (s) =>
        `<span><svg width="14" height="10"><rect width="14" height="10" fill="${s.color}"${s.dashed ? ' opacity="0.6"' : ""}/></svg> ${escapeHtml(s.name)}</span>`,
    )
    .join("")}</div>`;
}

/** Bars stacked per bucket, one colour per series; `bucketSeconds` wide. */
export function stackedBars(
  f: ChartFrame,
  series: readonly Series[],
  buckets: readonly BarBucket[],
  bucketSeconds: number,
) {
  let yMax = 0;
  for (const bucket of buckets)
    yMax = Math.max(
      yMax,
      bucket.values.reduce((a, b) => a + b, 0),
    );
  const svg = frame(f, yMax * 1.05, undefined, ({ x, y }) => {
    const rects: string[] = [];
    for (const bucket of buckets) {
      const x0 = x(bucket.t);
      const w = Math.max(0.5, x(bucket.t + bucketSeconds) - x0 - 0.3);
      let base = 0;
      bucket.values.forEach((value, i) => {
        if (value <= 0) return;
        const y0 = y(base + value);
        const h = y(base) - y0;
        base += value;
        const s = series[i] as Series;
        rects.push(
          `<rect x="${x0.toFixed(1)}" y="${y0.toFixed(1)}" width="${w.toFixed(1)}" height="${Math.max(0.5, h).toFixed(1)}" fill="${s.color}"><title>${num(bucket.t)} s: ${num(value)} ${escapeHtml(s.name)}</title></rect>`,
        );
      });
    }
    return rects.join("");
  });
  return `<figure>${svg}${legend(series)}</figure>`;
}

/** Lines over time; `log` gives a logarithmic y axis starting at `log.min`. */
export function lineChart(f: ChartFrame, series: readonly LineSeries[], log?: { min: number }) {
  let yMax = 0;
  for (const s of series) for (const [, v] of s.points) if (v !== null) yMax = Math.max(yMax, v);
  const top = log === undefined ? yMax * 1.05 : 10 ** Math.ceil(Math.log10(Math.max(yMax, log.min * 10)));
  const svg = frame(f, top, log, ({ x, y }) => {
    const paths: string[] = [];
    for (const s of series) {
      let d = "";
      let pen = false;
      for (const [t, v] of s.points) {
        if (v === null) {
          pen = false;
          continue;
        }
        d += `${pen ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
        pen = true;
      }
      if (d !== "") {
        paths.push(
          `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ""}><title>${escapeHtml(s.name)}</title></path>`,
        );
      }
    }
    return paths.join("");
  });
  return `<figure>${svg}${legend(series)}</figure>`;
}
