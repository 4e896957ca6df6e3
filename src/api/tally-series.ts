/**
 * The series of a tally metric by their label values: each made once, holding its own copy of
 * its labels (a label missing from the caller's object is ""), looked up by the values joined.
 */
export class SeriesByLabels<S> {
  readonly #labelNames: readonly string[];
  readonly #make: (labels: Readonly<Record<string, string>>) => S;
  readonly #byKey = new Map<string, S>();

  constructor(labelNames: readonly string[], make: (labels: Readonly<Record<string, string>>) => S) {
    this.#labelNames = labelNames;
    this.#make = make;
  }

  of(labels: Readonly<Record<string, string>>): S {
    const key = this.#labelNames.map((name) => labels[name] ?? "").join("\u0000");
    let series = this.#byKey.get(key);
    if (series === undefined) {
      const own: Record<string, string> = {};
      for (const name of this.#labelNames) own[name] = labels[name] ?? "";
      series = this.#make(own);
      this.#byKey.set(key, series);
    }
    return series;
  }

  /** Every series made, in the order made. */
  all(): IterableIterator<S> {
    return this.#byKey.values();
  }
}
