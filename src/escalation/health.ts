/** The health of one escalation channel, as `GET /health` shows it. */
export interface ChannelHealth {
  /** `degraded` while the last verification or attempt failed, or a retry is waiting. */
  readonly status: 'ok' | 'degraded';
  /** When start-up verification last succeeded; null before that, and for channels without one. */
  readonly verified_at: string | null;
  /** The last failure, until a later verification or attempt succeeds. */
  readonly error: string | null;
  /** Events handed to the channel and not settled yet, retries included. */
  readonly pending: number;
  /** Events whose last attempt failed with a retryable error and that wait for their next one. */
  readonly failed_retryable: number;
}

/** Tracks what `ChannelHealth` reports for one channel. */
export class ChannelHealthTracker {
  pending = 0;
  failedRetryable = 0;
  #verifiedAt: number | null = null;
  #error: string | null = null;

  recordVerified(at: number): void {
    this.#verifiedAt = at;
    this.#error = null;
  }

  recordSuccess(): void {
    this.#error = null;
  }

  recordFailure(error: string): void {
    this.#error = error;
  }

  snapshot(): ChannelHealth {
    const degraded = this.#error !== null || this.failedRetryable > 0;
    return {
      status: degraded ? 'degraded' : 'ok',
      verified_at: this.#verifiedAt === null ? null : new Date(this.#verifiedAt).toISOString(),
      error: this.#error,
      pending: this.pending,
      failed_retryable: this.failedRetryable,
    };
  }
}
