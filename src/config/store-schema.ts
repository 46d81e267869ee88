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
  })
  .prefault({});
