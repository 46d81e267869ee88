const BUCKETS = 10;

interface Bucket {
  start: number;
  calls: number;
  failures: number;
}

/**
 * Counts calls and failures over the last `windowMs`, in ten buckets so that old results leave
 * the window in steps of a tenth of it.
 */
export class RollingWindow {
  readonly #bucketMs: number;
  #buckets: Bucket[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {
    this.#bucketMs = Math.max(1, Math.floor(windowMs / BUCKETS));
  }

  add(failed: boolean): void {
    const start = Math.floor(this.now() / this.#bucketMs) * this.#bucketMs;
    let bucket = this.#buckets.at(-1);
    if (bucket?.start !== start) {
      bucket = { start, calls: 0, failures: 0 };
      this.#buckets.push(bucket);
    }

    bucket.calls += 1;
    if (failed) {
      bucket.failures += 1;
    }
  }

  totals(): { calls: number; failures: number } {
    const oldest = this.now() - this.windowMs;
    this.#buckets = this.#buckets.filter((bucket) => bucket.start + this.#bucketMs > oldest);

    let calls = 0;
    let failures = 0;
    for (const bucket of this.#buckets) {
      calls += bucket.calls;
      failures += bucket.failures;
    }
    return { calls, failures };
  }

  reset(): void {
    this.#buckets = [];
  }
}
