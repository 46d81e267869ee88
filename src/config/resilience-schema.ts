import { z } from 'zod';

/** Node's setTimeout fires at once for delays above 2^31 - 1 ms (about 24.8 days). */
export const maxTimerMs = 2_147_483_647;

/** Creates the schema of a duration in whole milliseconds that a timer can wait for. */
export function durationMs(min = 1) {
  return z.int().min(min).max(maxTimerMs);
}

const retryShape = {
  max_attempts: z.int().min(1),
  initial_backoff_ms: durationMs(),
  max_backoff_ms: durationMs(),
  budget_ms: durationMs(),
};

const breakerShape = {
  policy: z.enum(['consecutive', 'rate']),
  failure_threshold: z.int().min(1),
  open_duration_ms: durationMs(),
  half_open_max_calls: z.int().min(1),
  success_threshold: z.int().min(1),
  error_threshold_percentage: z.number().gt(0).max(100),
  volume_threshold: z.int().min(1),
  window_ms: durationMs(),
};

/** `[defaults.retry]`: retry with exponential backoff and full jitter, per provider. */
export const retrySchema = z
  .strictObject({
    max_attempts: retryShape.max_attempts.default(3),
    initial_backoff_ms: retryShape.initial_backoff_ms.default(250),
    max_backoff_ms: retryShape.max_backoff_ms.default(2000),
    budget_ms: retryShape.budget_ms.default(4000),
  })
  .superRefine((retry, context) => {
    if (retry.max_backoff_ms < retry.initial_backoff_ms) {
      context.addIssue({
        code: 'custom',
        path: ['max_backoff_ms'],
        message: `must be at least initial_backoff_ms (${retry.initial_backoff_ms})`,
      });
    }
  });

/** `[defaults.breaker]`: the circuit breaker of each provider. */
export const breakerSchema = z.strictObject({
  policy: breakerShape.policy.default('consecutive'),
  failure_threshold: breakerShape.failure_threshold.default(3),
  open_duration_ms: breakerShape.open_duration_ms.default(300_000),
  half_open_max_calls: breakerShape.half_open_max_calls.default(1),
  success_threshold: breakerShape.success_threshold.default(2),
  error_threshold_percentage: breakerShape.error_threshold_percentage.default(50),
  volume_threshold: breakerShape.volume_threshold.default(10),
  window_ms: breakerShape.window_ms.default(10_000),
});

/** `[providers.retry]`: keys that replace the matching `[defaults.retry]` keys for one provider. */
export const retryOverrideSchema = z.strictObject(retryShape).partial();

/** `[providers.breaker]`: keys that replace the matching `[defaults.breaker]` keys. */
export const breakerOverrideSchema = z.strictObject(breakerShape).partial();

/** `[defaults]`: the resilience settings every provider starts from. */
export const defaultsSchema = z
  .strictObject({
    attempt_timeout_ms: durationMs().default(5000),
    retry: retrySchema.prefault({}),
    breaker: breakerSchema.prefault({}),
  })
  .prefault({});

type RetrySettings = z.output<typeof retrySchema>;
type RetryOverride = z.output<typeof retryOverrideSchema>;

/** A problem with the backoff order of one provider's merged retry settings. */
export interface BackoffOrderIssue {
  /** The key the provider set, where the issue is reported. */
  readonly key: 'initial_backoff_ms' | 'max_backoff_ms';
  readonly message: string;
}

/**
 * Checks that a provider's retry settings, merged over `[defaults.retry]`, keep max_backoff_ms at
 * or above initial_backoff_ms. A provider that sets neither key is skipped, and the issue goes to
 * a key the provider set, because `[defaults.retry]` alone is checked on its own.
 */
export function checkBackoffOrder(
  override: RetryOverride,
  defaults: RetrySettings,
): BackoffOrderIssue | undefined {
  if (override.initial_backoff_ms === undefined && override.max_backoff_ms === undefined) {
    return undefined;
  }

  const initial = override.initial_backoff_ms ?? defaults.initial_backoff_ms;
  const max = override.max_backoff_ms ?? defaults.max_backoff_ms;
  if (max >= initial) {
    return undefined;
  }

  if (override.max_backoff_ms !== undefined) {
    const source = override.initial_backoff_ms === undefined ? ', from defaults.retry' : '';
    return {
      key: 'max_backoff_ms',
      message: `must be at least initial_backoff_ms (${initial}${source})`,
    };
  }
  return {
    key: 'initial_backoff_ms',
    message: `must be at most max_backoff_ms (${max}, from defaults.retry)`,
  };
}
