import { EventEmitter } from 'node:events';

import CircuitBreaker from 'opossum';

import { RollingWindow } from './rolling-window.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** The health outcome of one attempt, as the breaker counts it. */
export type HealthOutcome = 'success' | 'failure' | 'neutral' | 'config_fault';

/** Breaker settings of one provider, as in the `breaker` config table. */
export interface BreakerSettings {
  readonly policy: 'consecutive' | 'rate';
  readonly failure_threshold: number;
  readonly open_duration_ms: number;
  readonly half_open_max_calls: number;
  readonly success_threshold: number;
  readonly error_threshold_percentage: number;
  readonly volume_threshold: number;
  readonly window_ms: number;
}

/** A permit to run one attempt, tagged with the breaker epoch it was granted in. */
export interface Admission {
  readonly epoch: number;
  readonly trial: boolean;
}

/** A state change of one breaker. */
export interface BreakerTransition {
  readonly provider: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly reason: string;
  readonly at: number;
}

/** Counters for status output. */
export interface BreakerSnapshot {
  readonly state: BreakerState;
  readonly since: number;
  readonly open_until: number | null;
  readonly consecutive_failures: number;
  readonly opened_count: number;
}

// One emitter that never emits replaces opossum's per-breaker bucket-rotation interval: the
// rolling statistics are kept here, and no interval may keep the process alive.
const idleRotation = new EventEmitter();

/**
 * The circuit breaker of one provider.
 *
 * opossum keeps the state and runs the open → half-open timer (unref'd, so it never keeps the
 * process alive). Its own rate trip is neutralised (threshold 100 %, which its strict `>` never
 * reaches) because this class decides when to open: after `failure_threshold` consecutive
 * failures (`consecutive`) or when the failure share in `window_ms` reaches
 * `error_threshold_percentage` over at least `volume_threshold` calls (`rate`). A configuration
 * fault opens it at once. Half-open admits at most `half_open_max_calls` trials at a time, closes
 * after `success_threshold` successful trials, and re-opens on any failure. Every transition
 * increments an epoch; results of attempts admitted in an earlier epoch change no state.
 */
export class ProviderBreaker {
  readonly #circuit: CircuitBreaker;
  readonly #window: RollingWindow;
  #epoch = 0;
  #since: number;
  #openUntil: number | null = null;
  #consecutiveFailures = 0;
  #trialsInFlight = 0;
  #trialSuccesses = 0;
  #openedCount = 0;
  #pendingReason = '';
  #stateBefore: BreakerState = 'closed';

  constructor(
    readonly provider: string,
    private readonly settings: BreakerSettings,
    private readonly now: () => number,
    private readonly onTransition: (transition: BreakerTransition) => void,
  ) {
    this.#since = now();
    this.#window = new RollingWindow(settings.window_ms, now);
    this.#circuit = new CircuitBreaker(() => Promise.resolve(), {
      name: provider,
      timeout: false,
      resetTimeout: settings.open_duration_ms,
      errorThresholdPercentage: 100,
      volumeThreshold: Number.MAX_SAFE_INTEGER,
      rollingCountTimeout: settings.window_ms,
      rollingCountBuckets: 10,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      rotateBucketController: idleRotation,
      capacity: Number.MAX_SAFE_INTEGER,
      allowWarmUp: false,
      cache: false,
      enabled: true,
      autoRenewAbortController: false,
      errorFilter: () => false,
    });
    this.#circuit.on('open', () => this.#transition('open'));
    this.#circuit.on('halfOpen', () => this.#transition('half_open'));
    this.#circuit.on('close', () => this.#transition('closed'));
  }

  get state(): BreakerState {
    if (this.#circuit.opened) {
      return 'open';
    }
    return this.#circuit.halfOpen ? 'half_open' : 'closed';
  }

  /** Whether a call would be admitted now, without taking a permit. */
  get available(): boolean {
    const state = this.state;
    if (state === 'closed') {
      return true;
    }
    return state === 'half_open' && this.#trialsInFlight < this.settings.half_open_max_calls;
  }

  /** The time the breaker half-opens, while it is open. */
  get openUntil(): number | null {
    return this.#openUntil;
  }

  /** Takes a permit for one attempt, or returns undefined when the breaker admits none now. */
  tryAdmit(): Admission | undefined {
    const state = this.state;
    if (state === 'open') {
      return undefined;
    }
    if (state === 'closed') {
      return { epoch: this.#epoch, trial: false };
    }
    if (this.#trialsInFlight >= this.settings.half_open_max_calls) {
      return undefined;
    }

    this.#trialsInFlight += 1;
    return { epoch: this.#epoch, trial: true };
  }

  /** Records the health outcome of an attempt admitted by `tryAdmit`. */
  record(admission: Admission, outcome: HealthOutcome): void {
    if (admission.epoch !== this.#epoch) {
      return;
    }
    if (admission.trial) {
      this.#trialsInFlight -= 1;
    }

    if (outcome === 'config_fault') {
      this.#open('configuration fault');
      return;
    }
    if (this.state === 'half_open') {
      this.#recordTrial(outcome);
      return;
    }
    this.#recordClosed(outcome);
  }

  /** Opens the breaker now, as an operator action or a configuration fault does. */
  forceOpen(reason: string): void {
    this.#open(reason);
  }

  /**
   * Closes the breaker now, as an operator action: the provider takes traffic again at once,
   * without half-open trials. Does nothing when the breaker is already closed.
   */
  forceClose(reason: string): void {
    if (this.state === 'closed') {
      return;
    }
    this.#pendingReason = reason;
    this.#circuit.close();
  }

  /**
   * Clears the failure counters (`consecutive_failures`, `opened_count`, the rate window) without
   * changing the state. An open breaker stays open until its open duration ends.
   */
  resetCounters(): void {
    this.#consecutiveFailures = 0;
    this.#openedCount = 0;
    this.#window.reset();
  }

  snapshot(): BreakerSnapshot {
    return {
      state: this.state,
      since: this.#since,
      open_until: this.#openUntil,
      consecutive_failures: this.#consecutiveFailures,
      opened_count: this.#openedCount,
    };
  }

  /** Stops the breaker's timer; the breaker admits nothing afterwards. */
  shutdown(): void {
    this.#circuit.shutdown();
  }

  #recordTrial(outcome: HealthOutcome): void {
    if (outcome === 'failure') {
      this.#open('half-open trial failed');
      return;
    }
    if (outcome === 'neutral') {
      return;
    }

    this.#trialSuccesses += 1;
    if (this.#trialSuccesses >= this.settings.success_threshold) {
      this.#pendingReason = `${this.#trialSuccesses} successful trial calls`;
      this.#circuit.close();
    }
  }

  #recordClosed(outcome: HealthOutcome): void {
    if (outcome === 'neutral') {
      return;
    }
    this.#window.add(outcome === 'failure');
    if (outcome === 'success') {
      this.#consecutiveFailures = 0;
      return;
    }

    this.#consecutiveFailures += 1;
    const reason = this.#tripReason();
    if (reason) {
      this.#open(reason);
    }
  }

  #tripReason(): string | undefined {
    const { policy, failure_threshold, error_threshold_percentage, volume_threshold } =
      this.settings;
    if (policy === 'consecutive') {
      return this.#consecutiveFailures >= failure_threshold
        ? `${this.#consecutiveFailures} consecutive failures`
        : undefined;
    }

    const { calls, failures } = this.#window.totals();
    const percentage = calls === 0 ? 0 : (failures / calls) * 100;
    return calls >= volume_threshold && percentage >= error_threshold_percentage
      ? `${failures} of ${calls} calls failed in ${this.settings.window_ms} ms`
      : undefined;
  }

  #open(reason: string): void {
    if (this.state === 'open') {
      return;
    }
    this.#pendingReason = reason;
    this.#circuit.open();
  }

  #transition(to: BreakerState): void {
    const from = this.#stateBefore;
    const reason = this.#pendingReason || (to === 'half_open' ? 'open duration elapsed' : '');
    const at = this.now();

    this.#epoch += 1;
    this.#since = at;
    this.#trialsInFlight = 0;
    this.#trialSuccesses = 0;
    // The failure run that opened the breaker stays visible in status output while it is open.
    if (to !== 'open') {
      this.#consecutiveFailures = 0;
    }
    this.#window.reset();
    this.#openUntil = to === 'open' ? at + this.settings.open_duration_ms : null;
    if (to === 'open') {
      this.#openedCount += 1;
    }
    this.#stateBefore = to;
    this.#pendingReason = '';
    this.onTransition({ provider: this.provider, from, to, reason, at });
  }
}
