import { z } from 'zod';

import { durationMs } from './resilience-schema.js';

/** `[store]`: the durable message store. */
export const storeSchema = z
  .strictObject({
    /** SQLite file; a relative path is relative to `data_dir`. */
    path: z.string().min(1).default('sms-relay.db'),
    /** Time an idempotency key stays bound to its first request. */
    idempotency_ttl_ms: durationMs().default(86_400_000),
    /** Age after which sent, rejected and failed messages are deleted. */
    retention_days: z.int().min(1).max(3650).default(30),
    /** Time between two retention runs. */
    prune_interval_ms: durationMs().default(3_600_000),
    /** Time a delivery report for a provider message id that no attempt has yet is kept. */
    pending_report_ttl_ms: durationMs().default(3_600_000),
  })
  .prefault({});

/** `[queue]`: the background sender of async messages. */
export const queueSchema = z
  .strictObject({
    /** Async messages sent at the same time, at most. */
    concurrency: z.int().min(1).max(1000).default(8),
    /** Time between two looks at the queue when nothing woke the sender. */
    poll_interval_ms: durationMs().default(500),
    /**
     * Latest `expires_at` that a request may set, as time from acceptance. A route may set its
     * own with `async_max_validity_ms`.
     */
    max_validity_ms: durationMs().default(259_200_000),
  })
  .prefault({});

/** `[callbacks]`: the sender of status callbacks to each message's `callback_url`. */
export const callbacksSchema = z
  .strictObject({
    /** Maximum number of callback requests in flight at once. */
    concurrency: z.int().min(1).max(1000).default(4),
    /** Time between two looks at the outbox when nothing woke the sender. */
    poll_interval_ms: durationMs().default(1000),
    /** Time for one request, from sending to the response status. */
    timeout_ms: durationMs().default(5000),
    /** Maximum attempts per status change, the first included. */
    max_attempts: z.int().min(1).max(1000).default(20),
    /**
     * Maximum time from a status change to the next attempt of its delivery. A delivery whose next
     * attempt would come later gives up.
     */
    max_age_ms: durationMs().default(86_400_000),
    /** Cap of the first backoff; it doubles per retry, with full jitter. */
    initial_backoff_ms: durationMs().default(1000),
    /** Cap of any single backoff, and of a `Retry-After` wait. */
    max_backoff_ms: durationMs().default(900_000),
  })
  .superRefine((settings, context) => {
    if (settings.max_backoff_ms < settings.initial_backoff_ms) {
      context.addIssue({
        code: 'custom',
        path: ['max_backoff_ms'],
        message: `must be at least initial_backoff_ms (${settings.initial_backoff_ms})`,
      });
    }
  })
  .prefault({});
