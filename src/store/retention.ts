import type { MessageStore, PruneReport } from './types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Settings of the retention runs, as in `[store]`. */
export interface RetentionSettings {
  readonly retention_days: number;
  readonly prune_interval_ms: number;
}

/**
 * Deletes old sent, rejected and failed messages and expired idempotency keys: once at `start`,
 * then every `prune_interval_ms`. Queued messages and messages being sent are never pruned.
 */
export class Retention {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: MessageStore,
    private readonly settings: RetentionSettings,
    private readonly now: () => number,
  ) {}

  /** Runs one pruning pass now and returns what it deleted. */
  prune(): Promise<PruneReport> {
    const now = this.now();
    return this.store.prune(now - this.settings.retention_days * DAY_MS, now);
  }

  /** Starts the periodic runs; `onRun` receives each report or error. */
  start(onRun: (report: PruneReport | undefined, error?: unknown) => void): void {
    const run = (): void => {
      this.prune().then(
        (report) => onRun(report),
        (error: unknown) => onRun(undefined, error),
      );
    };
    run();
    this.#timer = setInterval(run, this.settings.prune_interval_ms);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
