import type { AttemptEvent, GatewayEvents } from '../events.js';
import type { BreakerState, BreakerTransition } from '../resilience/breaker.js';
import type { OperatorAlert } from './escalator.js';
import type { FoldedAlerts } from './types.js';

export interface OperatorAlertsOptions {
  readonly events: GatewayEvents;
  /** Receives each alert; the escalator sends it to the alert channels. */
  readonly send: (alert: OperatorAlert) => void;
  readonly repeatWindowMs: number;
}

/** The alert state of one provider. */
interface ProviderAlertState {
  /** The breaker's latest state. */
  state: BreakerState;
  /** When the current outage began: the breaker opened from closed and has not closed since. */
  downSince: number | null;
  /** The repeat window after the last alert; further alerts are folded while it runs. */
  window: NodeJS.Timeout | undefined;
  folded: { provider_down: number; provider_recovered: number };
  /** The result of the latest configuration-fault attempt, such as `provider code 20003`. */
  configFault: string | undefined;
}

/**
 * Turns breaker transitions into operator alerts. An outage runs from the breaker opening out of
 * `closed` until it closes again: it gets one `provider_down` alert and one `provider_recovered`
 * notice, and half-open trials that fail and re-open the breaker belong to the same outage.
 * After an alert for a provider, further alerts within `repeatWindowMs` are counted instead of
 * sent. When the window ends, one `provider_alert_summary` carries the counts and the current
 * state, and starts the next window. Nothing is dropped: `flush` sends the counts at shutdown.
 */
export class OperatorAlerts {
  readonly #providers = new Map<string, ProviderAlertState>();

  constructor(private readonly options: OperatorAlertsOptions) {
    options.events.on('attempt', (event) => this.#onAttempt(event));
    options.events.on('breaker', (transition) => this.#onTransition(transition));
  }

  /** Sends a summary now for every provider with folded alerts, and stops the windows. */
  flush(): void {
    for (const [provider, state] of this.#providers) {
      clearTimeout(state.window);
      state.window = undefined;
      if (foldedTotal(state.folded) > 0) {
        this.#sendSummary(provider, state);
        clearTimeout(state.window);
        state.window = undefined;
      }
    }
  }

  /** Stops every repeat window without sending anything. */
  close(): void {
    for (const state of this.#providers.values()) {
      clearTimeout(state.window);
      state.window = undefined;
    }
  }

  #onAttempt(event: AttemptEvent): void {
    if (!event.config_fault) {
      return;
    }
    const detail =
      event.provider_code !== null
        ? `provider code ${event.provider_code}`
        : `HTTP ${event.http_status ?? 'status unknown'}`;
    this.#stateOf(event.provider).configFault = detail;
  }

  #onTransition(transition: BreakerTransition): void {
    const state = this.#stateOf(transition.provider);
    state.state = transition.to;

    if (transition.to === 'open' && state.downSince === null) {
      state.downSince = transition.at;
      this.#raise(transition.provider, state, 'provider_down', this.#downReason(state, transition));
    } else if (transition.to === 'closed' && state.downSince !== null) {
      this.#raise(transition.provider, state, 'provider_recovered', transition.reason);
      state.downSince = null;
    }
  }

  #downReason(state: ProviderAlertState, transition: BreakerTransition): string {
    if (transition.reason.startsWith('configuration fault') && state.configFault !== undefined) {
      return `configuration fault (${state.configFault})`;
    }
    return transition.reason;
  }

  #raise(
    provider: string,
    state: ProviderAlertState,
    type: 'provider_down' | 'provider_recovered',
    reason: string,
  ): void {
    if (state.window !== undefined) {
      state.folded[type] += 1;
      return;
    }
    this.#send(provider, state, type, reason);
  }

  #sendSummary(provider: string, state: ProviderAlertState): void {
    const count = foldedTotal(state.folded);
    const reason = `${count} state changes within ${this.options.repeatWindowMs} ms of the previous alert`;
    this.#send(provider, state, 'provider_alert_summary', reason);
  }

  /** Sends one alert with the folded counts, resets them and starts a repeat window. */
  #send(
    provider: string,
    state: ProviderAlertState,
    type: OperatorAlert['type'],
    reason: string,
  ): void {
    const folded: FoldedAlerts = { ...state.folded };
    state.folded = { provider_down: 0, provider_recovered: 0 };
    this.options.send({
      type,
      provider,
      state: state.state,
      reason,
      folded,
      down_since: state.downSince === null ? null : new Date(state.downSince).toISOString(),
    });

    state.window = setTimeout(
      () => this.#windowEnded(provider, state),
      this.options.repeatWindowMs,
    );
    state.window.unref?.();
  }

  #windowEnded(provider: string, state: ProviderAlertState): void {
    state.window = undefined;
    if (foldedTotal(state.folded) > 0) {
      this.#sendSummary(provider, state);
    }
  }

  #stateOf(provider: string): ProviderAlertState {
    let state = this.#providers.get(provider);
    if (state === undefined) {
      state = {
        state: 'closed',
        downSince: null,
        window: undefined,
        folded: { provider_down: 0, provider_recovered: 0 },
        configFault: undefined,
      };
      this.#providers.set(provider, state);
    }
    return state;
  }
}

function foldedTotal(folded: FoldedAlerts): number {
  return folded.provider_down + folded.provider_recovered;
}
