/** Retry settings of one provider, as in the `retry` config table. */
export interface RetrySettings {
  readonly max_attempts: number;
  readonly initial_backoff_ms: number;
  readonly max_backoff_ms: number;
  readonly budget_ms: number;
}

/**
 * Returns the wait before retry number `retry` (1 for the first retry): exponential backoff with
 * full jitter, a random value in [0, min(max_backoff_ms, initial_backoff_ms × 2^(retry − 1))).
 * `random` returns a number in [0, 1).
 */
export function fullJitterBackoff(
  retry: number,
  settings: Pick<RetrySettings, 'initial_backoff_ms' | 'max_backoff_ms'>,
  random: () => number,
): number {
  const exponent = Math.min(Math.max(retry - 1, 0), 30);
  const ceiling = Math.min(settings.max_backoff_ms, settings.initial_backoff_ms * 2 ** exponent);
  const sample = random();
  const share = Number.isFinite(sample) ? Math.min(Math.max(sample, 0), 1) : 0;
  return Math.floor(share * ceiling);
}
