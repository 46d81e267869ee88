import type { AttemptEvent, AttemptOutcome } from '../events.js';

/** The last failed attempt of a provider, as status output shows it. */
export interface LastError {
  readonly at: string;
  readonly outcome: AttemptOutcome;
  readonly http_status: number | null;
  readonly provider_code: string | null;
  readonly message: string;
}

export type OutcomeCounts = Record<AttemptOutcome, number>;

function emptyCounts(): OutcomeCounts {
  return { sent: 0, transient: 0, throttled: 0, provider: 0, rejected: 0, ambiguous: 0 };
}

/** Attempt counts by outcome and the last error of each provider since start. */
export class ProviderStats {
  readonly #counts = new Map<string, OutcomeCounts>();
  readonly #lastError = new Map<string, LastError>();

  constructor(private readonly now: () => number) {}

  record(event: AttemptEvent): void {
    const counts = this.#counts.get(event.provider) ?? emptyCounts();
    counts[event.outcome] += 1;
    this.#counts.set(event.provider, counts);
    if (event.outcome === 'sent') {
      return;
    }

    this.#lastError.set(event.provider, {
      at: new Date(this.now()).toISOString(),
      outcome: event.outcome,
      http_status: event.http_status,
      provider_code: event.provider_code,
      message: event.error ?? event.outcome,
    });
  }

  counts(provider: string): OutcomeCounts {
    return { ...(this.#counts.get(provider) ?? emptyCounts()) };
  }

  lastError(provider: string): LastError | null {
    return this.#lastError.get(provider) ?? null;
  }
}
