import { EventEmitter } from 'node:events';

import type { AttemptEvent, AttemptOutcome } from '../events.js';
import type { BreakerTransition } from '../resilience/breaker.js';
import { AttemptWindow, type WindowSummary } from './attempt-window.js';
import { StateHistory, type ProviderState, type StateChange } from './state-history.js';

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

/** A state change that an operator made, for the timeline. */
export interface OperatorChange {
  readonly from: ProviderState;
  readonly to: ProviderState;
  readonly reason: string;
  readonly principal: string;
}

/**
 * What each provider did: attempt counts by outcome and the last error since start or the last
 * reset, the attempts of the last five minutes, and a timeline of state changes. Emits `change`
 * with the provider id after every update, so that live views can refresh.
 */
export class ProviderStats extends EventEmitter<{ change: [provider: string] }> {
  readonly #counts = new Map<string, OutcomeCounts>();
  readonly #lastError = new Map<string, LastError>();
  readonly #countersSince = new Map<string, number>();
  readonly #history = new StateHistory();
  readonly #window: AttemptWindow;
  readonly #startedAt: number;
  #principal: string | null = null;

  constructor(private readonly now: () => number) {
    super();
    this.#window = new AttemptWindow(now);
    this.#startedAt = now();
  }

  record(event: AttemptEvent): void {
    const counts = this.#counts.get(event.provider) ?? emptyCounts();
    counts[event.outcome] += 1;
    this.#counts.set(event.provider, counts);
    this.#window.add(event.provider, event.outcome, event.duration_ms);
    if (event.outcome !== 'sent') {
      this.#lastError.set(event.provider, {
        at: new Date(this.now()).toISOString(),
        outcome: event.outcome,
        http_status: event.http_status,
        provider_code: event.provider_code,
        message: event.error ?? event.outcome,
      });
    }
    this.emit('change', event.provider);
  }

  /** Adds a breaker transition to the provider's timeline. */
  recordTransition(transition: BreakerTransition): void {
    const { provider, from, to, reason, at } = transition;
    const change = { at: new Date(at).toISOString(), from, to, reason, principal: this.#principal };
    this.#history.add(provider, change);
    this.emit('change', provider);
  }

  /** Adds an operator's change that is not a breaker transition, such as a drain. */
  recordOperatorChange(provider: string, change: OperatorChange): void {
    this.#history.add(provider, { at: new Date(this.now()).toISOString(), ...change });
    this.emit('change', provider);
  }

  /**
   * Runs `action` and attributes the breaker transitions it causes to `principal`. Breaker
   * transitions are emitted synchronously, so every one that `action` causes lands inside.
   */
  asOperator(principal: string, action: () => void): void {
    this.#principal = principal;
    try {
      action();
    } finally {
      this.#principal = null;
    }
  }

  /** Clears the provider's counts, last error, five-minute window and timeline. */
  reset(provider: string): void {
    this.#counts.delete(provider);
    this.#lastError.delete(provider);
    this.#window.clear(provider);
    this.#history.clear(provider);
    this.#countersSince.set(provider, this.now());
    this.emit('change', provider);
  }

  counts(provider: string): OutcomeCounts {
    return { ...(this.#counts.get(provider) ?? emptyCounts()) };
  }

  /** When the counts began: the gateway's start or the provider's last reset, in epoch ms. */
  countersSince(provider: string): number {
    return this.#countersSince.get(provider) ?? this.#startedAt;
  }

  lastError(provider: string): LastError | null {
    return this.#lastError.get(provider) ?? null;
  }

  history(provider: string): readonly StateChange[] {
    return this.#history.list(provider);
  }

  window(provider: string): WindowSummary {
    return this.#window.summary(provider);
  }
}
