import { z } from 'zod';

/** `[store]`: the durable message store. */
export const storeSchema = z
  .strictObject({
    /** SQLite file; a relative path is relative to `data_dir`. */
    path: z.string().min(1).default('sms-relay.db'),
  })
  .prefault({});
