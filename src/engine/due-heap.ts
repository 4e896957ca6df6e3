/** A binary min-heap of (due instant, id): the next timer to fire is always on top. */
export class DueHeap {
  readonly #at: number[] = [];
  readonly #id: string[] = [];

  get size(): number {
    return this.#at.length;
  }

  peekAt(): number | undefined {
    return this.#at[0];
  }

  push(at: number, id: string): void {
    this.#at.push(at);
    this.#id.push(id);
    let i = this.#at.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.#at[parent] as number) <= at) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /**
   * The first entry due by `at` that is still live, removed from the heap. Entries whose
   * object has gone (answered, settled) stay until they surface and are dropped here.
   */
  popDue<T>(at: number, live: (id: string) => T | undefined): T | undefined {
    for (;;) {
      const due = this.peekAt();
      if (due === undefined || due > at) return undefined;
      const found = live(this.pop());
      if (found !== undefined) return found;
    }
  }

  /** Removes and returns the id on top; call only when size > 0. */
  pop(): string {
    const top = this.#id[0] as string;
    const lastAt = this.#at.pop() as number;
    const lastId = this.#id.pop() as string;
    if (this.#at.length > 0) {
      this.#at[0] = lastAt;
      this.#id[0] = lastId;
      this.#siftDown(0);
    }
    return top;
  }

  #siftDown(start: number): void {
    const n = this.#at.length;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < n && (this.#at[left] as number) < (this.#at[smallest] as number)) smallest = left;
      if (right < n && (this.#at[right] as number) < (this.#at[smallest] as number)) smallest = right;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }

  #swap(a: number, b: number): void {
    [this.#at[a], this.#at[b]] = [this.#at[b] as number, this.#at[a] as number];
    [this.#id[a], this.#id[b]] = [this.#id[b] as string, this.#id[a] as string];
  }
}
