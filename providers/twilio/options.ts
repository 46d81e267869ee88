import { z } from 'zod';

/** Config keys of a `twilio` provider. Secrets come from the environment through `${VAR}`. */
export const twilioOptions = {
  /** Account SID (`AC` followed by 32 hex digits). */
  account_sid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be "AC" followed by 32 hex digits'),
  auth_token: z.string().min(1),
  /** Default sender: an E.164 number of the account or an alphanumeric sender ID. */
  from: z.string().min(1).optional(),
  /** Messaging Service SID (`MG…`); Twilio picks the sender when `from` is not set. */
  messaging_service_sid: z
    .string()
    .regex(/^MG[0-9a-fA-F]{32}$/, 'must be "MG" followed by 32 hex digits')
    .optional(),
  /** API base URL; a loopback URL in tests. */
  base_url: z.url().default('https://api.twilio.com'),
};
