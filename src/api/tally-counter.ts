import type { Registry } from "prom-client";
import { SeriesByLabels } from "./tally-series.js";

/** One labelled series: its labels and its total. */
class Series {
  readonly labels: Readonly<Record<string, string>>;
  value = 0;
  /** Listed by its counter: prom-client shows a series from its first increment, not from its child's making. */
  listed = false;
  readonly #list: (series: Series) => void;

  constructor(labels: Readonly<Record<string, string>>, list: (series: Series) => void) {
    this.labels = labels;
    this.#list = list;
  }

  inc(): void {
    if (!this.listed) this.#list(this);
    this.value += 1;
  }
}

/**
 * A counter for the answers counted on every request, read by the registry exactly as
 * prom-client's Counter is (a series shows from its first increment, in that order; a reset
 * hides them all). prom-client hashes and checks the label set on every `inc`, a labelled
 * child's too; here a series is looked up once by its caller and an `inc` is one addition.
 */
export class TallyCounter {
  readonly type = "counter";
  readonly aggregator = "sum";
  readonly name: string;
  readonly help: string;
  readonly #series: SeriesByLabels<Series>;
  /** Series in the order of their first increment since the last reset. */
  #listed: Series[] = [];
  readonly #list = (series: Series) => {
    series.listed = true;
    this.#listed.push(series);
  };

  constructor(options: { name: string; help: string; labelNames: readonly string[]; registers: readonly Registry[] }) {
    this.name = options.name;
    this.help = options.help;
    this.#series = new SeriesByLabels(options.labelNames, (labels) => new Series(labels, this.#list));
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** The series of these labels, to keep and increment. */
  labels(labels: Readonly<Record<string, string>>): { inc(): void } {
    return this.#series.of(labels);
  }

  /** What the registry reads: prom-client's counter values, series by series. */
  async get() {
    const values = this.#listed.map((series) => ({ value: series.value, labels: { ...series.labels } }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    for (const series of this.#listed) {
      series.value = 0;
      series.listed = false;
    }
    this.#listed = [];
  }
}
