import { z } from 'zod';

import { requireUniqueField } from './unique.js';

/** The API key that `config/default.toml` falls back to; start-up warns while it is in use. */
export const DEV_API_KEY = 'dev-key';

/** The admin token that `config/default.toml` falls back to; start-up warns while it is in use. */
export const DEV_ADMIN_TOKEN = 'dev-admin-token-change-me';

const minApiKeyLength = 8;
const minAdminTokenLength = 16;

/** Visible ASCII only, because a bearer token travels in an HTTP header that trims whitespace. */
const visibleAscii = /^[\x21-\x7e]*$/;

const credentialName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

/** Returns the first rule that a bearer credential breaks, or undefined. */
function credentialRule(value: string, minLength: number): string | undefined {
  if (!visibleAscii.test(value)) {
    return 'must contain only visible ASCII characters (no spaces)';
  }
  if (value.length < minLength) {
    return `must be at least ${minLength} characters long`;
  }
  return undefined;
}

/**
 * The Twilio Account SID that a Twilio-compatible client sends as its Basic user name. Lowercase
 * hex, as Twilio writes SIDs, because the user name is compared byte for byte. An empty value, as
 * `${VAR:-}` gives when the variable is unset, counts as absent.
 */
const accountSid = z
  .string()
  .regex(/^(AC[0-9a-f]{32})?$/, 'must be "AC" followed by 32 lowercase hex digits')
  .transform((sid) => (sid === '' ? undefined : sid))
  .optional();

const apiKeySchema = z.strictObject({
  name: credentialName,
  key: z.string().superRefine((key, context) => {
    const rule = key === DEV_API_KEY ? undefined : credentialRule(key, minApiKeyLength);
    if (rule !== undefined) {
      context.addIssue({ code: 'custom', message: rule });
    }
  }),
  account_sid: accountSid,
});

const adminTokenSchema = z.strictObject({
  name: credentialName,
  token: z.string().superRefine((token, context) => {
    const rule = token === '' ? undefined : credentialRule(token, minAdminTokenLength);
    if (rule !== undefined) {
      context.addIssue({ code: 'custom', message: rule });
    }
  }),
});

/**
 * `[[api_keys]]`: the bearer keys clients send to `/v1/`; at least one. A key with an
 * `account_sid` also opens the Twilio-compatible API under `/2010-04-01/`.
 */
export const apiKeysSchema = z
  .array(apiKeySchema)
  .min(1)
  .superRefine(requireUniqueField('api_keys', 'name'), { when: () => true })
  .superRefine(requireUniqueField('api_keys', 'key'), { when: () => true })
  .superRefine(requireUniqueField('api_keys', 'account_sid'), { when: () => true });

/**
 * `[[admin_tokens]]`: the bearer tokens for `/admin/`. A token may be empty, as when
 * `${SMS_RELAY_ADMIN_TOKEN:-}` finds the variable unset; the loaded config drops such entries.
 */
export const adminTokensSchema = z
  .array(adminTokenSchema)
  .superRefine(requireUniqueField('admin_tokens', 'name'), { when: () => true })
  .superRefine(requireUniqueField('admin_tokens', 'token'), { when: () => true })
  .prefault([]);
