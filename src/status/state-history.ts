import type { BreakerState } from '../resilience/breaker.js';

/** What a provider's timeline shows as its state: the breaker's state, or `drained`. */
export type ProviderState = BreakerState | 'drained';

/** One entry of a provider's timeline. */
export interface StateChange {
  /** ISO 8601 time of the change. */
  readonly at: string;
  readonly from: ProviderState;
  readonly to: ProviderState;
  readonly reason: string;
  /** Name of the admin token behind an operator action; null for automatic changes. */
  readonly principal: string | null;
}

/** Entries kept per provider; older ones are dropped first. */
export const HISTORY_LIMIT = 100;

/** The last `HISTORY_LIMIT` state changes of each provider, oldest first. */
export class StateHistory {
  readonly #entries = new Map<string, StateChange[]>();

  add(provider: string, change: StateChange): void {
    const entries = this.#entries.get(provider) ?? [];
    entries.push(change);
    if (entries.length > HISTORY_LIMIT) {
      entries.splice(0, entries.length - HISTORY_LIMIT);
    }
    this.#entries.set(provider, entries);
  }

  list(provider: string): readonly StateChange[] {
    return [...(this.#entries.get(provider) ?? [])];
  }

  clear(provider: string): void {
    this.#entries.delete(provider);
  }
}
