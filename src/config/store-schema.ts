import { z } from 'zod';

import { durationMs } from './resilience-schema.js';

/** `[store]`: the durable message store. */
export const storeSchema = z
  .strictObject({
    /** SQLite file; a relative path is relative to `data_dir`. */
    path: z.string().min(1).default('sms-relay.db'),
    /** Time an idempotency key stays bound to its first request. */
    idempotency_ttl_ms: durationMs().default(86_400_000),
  })
  .prefault({});
