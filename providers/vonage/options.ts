import { z } from 'zod';

/** Config keys of a `vonage` provider (SMS API). Secrets come from the environment. */
export const vonageOptions = {
  api_key: z.string().min(1),
  api_secret: z.string().min(1),
  /** Default sender: a virtual number or an alphanumeric sender ID. */
  from: z.string().min(1),
  /** REST host of the SMS API; a loopback URL in tests. */
  base_url: z.url().default('https://rest.nexmo.com'),
};
