import { z } from 'zod';

import { vonageSignatureMethods } from './delivery-receipt.js';

/** Config keys of a `vonage` provider (SMS API). Secrets come from the environment. */
export const vonageOptions = {
  api_key: z.string().min(1),
  api_secret: z.string().min(1),
  /** Default sender: a virtual number or an alphanumeric sender ID. */
  from: z.string().min(1),
  /** REST host of the SMS API; a loopback URL in tests. */
  base_url: z.url().default('https://rest.nexmo.com'),
  /**
   * Signature secret of the account (dashboard settings). When set, a delivery receipt without a
   * valid `sig` is rejected; without it, receipts are accepted unsigned.
   */
  signature_secret: z.string().min(1).optional(),
  /** Signature method chosen in the dashboard next to the secret. */
  signature_method: z.enum(vonageSignatureMethods).default('md5hash'),
  /** How far a signed receipt's `timestamp` may be from the gateway's clock, either way. */
  signature_max_age_ms: z.int().min(1000).max(2_147_483_647).default(300_000),
};
