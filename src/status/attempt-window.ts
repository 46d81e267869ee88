import type { AttemptOutcome } from '../events.js';

/** Length of the window that success rates and latency percentiles cover. */
export const WINDOW_MS = 5 * 60 * 1000;

// NOTE: at more than 50,000 attempts per provider in five minutes (about 170 per second) the
// oldest are dropped early, so the window then covers less than five minutes.
const MAX_SAMPLES = 50_000;

interface Sample {
  readonly at: number;
  readonly outcome: AttemptOutcome;
  readonly durationMs: number;
}

/** A provider's attempts over the last five minutes, as status output shows them. */
export interface WindowSummary {
  readonly duration_ms: number;
  readonly attempts: number;
  /**
   * Share of attempts the provider handled correctly (`sent` or `rejected`), from 0 to 1, as the
   * breaker counts them: throttled attempts are left out. Null when there is nothing to count.
   */
  readonly success_rate: number | null;
  /** Attempt latency percentiles in milliseconds, over every attempt; null with no attempts. */
  readonly latency_ms: { readonly p50: number | null; readonly p95: number | null };
  readonly counts: Record<AttemptOutcome, number>;
}

/** Keeps each provider's attempts (outcome and latency) for `WINDOW_MS`. */
export class AttemptWindow {
  readonly #samples = new Map<string, Sample[]>();

  constructor(private readonly now: () => number) {}

  add(provider: string, outcome: AttemptOutcome, durationMs: number): void {
    const samples = this.#samples.get(provider) ?? [];
    samples.push({ at: this.now(), outcome, durationMs });
    if (samples.length > MAX_SAMPLES) {
      samples.splice(0, samples.length - MAX_SAMPLES);
    }
    this.#samples.set(provider, samples);
  }

  summary(provider: string): WindowSummary {
    const samples = this.#current(provider);
    const counts = { sent: 0, transient: 0, throttled: 0, provider: 0, rejected: 0, ambiguous: 0 };
    for (const sample of samples) {
      counts[sample.outcome] += 1;
    }

    const judged = samples.length - counts.throttled;
    const durations = samples.map((sample) => sample.durationMs).sort((a, b) => a - b);
    return {
      duration_ms: WINDOW_MS,
      attempts: samples.length,
      success_rate: judged === 0 ? null : (counts.sent + counts.rejected) / judged,
      latency_ms: { p50: percentile(durations, 0.5), p95: percentile(durations, 0.95) },
      counts,
    };
  }

  clear(provider: string): void {
    this.#samples.delete(provider);
  }

  /** Drops samples older than the window and returns the rest. */
  #current(provider: string): readonly Sample[] {
    const samples = this.#samples.get(provider) ?? [];
    const oldest = this.now() - WINDOW_MS;
    const firstKept = samples.findIndex((sample) => sample.at > oldest);
    samples.splice(0, firstKept === -1 ? samples.length : firstKept);
    return samples;
  }
}

/** The nearest-rank percentile of sorted `values`, or null when there are none. */
function percentile(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) {
    return null;
  }
  const rank = Math.ceil(fraction * sorted.length);
  return sorted[Math.max(0, rank - 1)] ?? null;
}
