import { z } from 'zod';

/**
 * `[status_page]`: access to `/status`, `/status/events` and `/metrics`. They show no secrets and
 * no phone numbers, so they are open unless `require_admin_token` is true.
 */
export const statusPageSchema = z
  .strictObject({
    require_admin_token: z.boolean().default(false),
  })
  .prefault({});
