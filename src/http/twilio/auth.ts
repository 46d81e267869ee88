import { createHash, timingSafeEqual } from 'node:crypto';

import { createMiddleware } from 'hono/factory';

import type { Config } from '../../config/index.js';
import { GatewayError } from '../../errors.js';
import type { AppEnv } from '../context.js';

const REALM = 'sms-relay Twilio-compatible API';

/**
 * Returns middleware that requires HTTP Basic credentials (RFC 7617) as Twilio's API takes them:
 * the user name is an API key's `account_sid` and the password is that key. It stores the key's
 * name as the request's principal and its Account SID as `accountSid`. API keys without an
 * `account_sid` never match. Credentials are compared as SHA-256 digests in constant time.
 */
export function twilioBasicAuth(apiKeys: Config['api_keys']) {
  const accounts = apiKeys.flatMap(({ name, key, account_sid: accountSid }) =>
    accountSid === undefined ? [] : [{ name, accountSid, digest: sha256(`${accountSid}:${key}`) }],
  );

  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('Authorization') ?? '';
    const presented = basicCredentials(header);
    const digest = presented === undefined ? undefined : sha256(presented);
    const found = digest
      ? accounts.find((account) => timingSafeEqual(account.digest, digest))
      : undefined;

    if (!found) {
      throw new GatewayError('unauthorized', {
        detail: unauthorizedDetail(header, presented !== undefined),
        headers: { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` },
      });
    }
    c.set('principal', found.name);
    c.set('accountSid', found.accountSid);
    await next();
  });
}

/** An Account SID as configured on API keys and as Twilio writes it. */
const ACCOUNT_SID = /^AC[0-9a-f]{32}$/;

/**
 * Returns middleware for paths with an `:accountSid` parameter that rejects, with 404, a path
 * whose Account SID is malformed and, with 403, one that is not the one the credentials belong to.
 */
export function requireOwnAccount() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const own = c.get('accountSid');
    const requested = c.req.param('accountSid');
    if (requested === undefined || !ACCOUNT_SID.test(requested)) {
      throw new GatewayError('not_found', {
        detail: `The Account SID in the path is malformed. It must be "AC" followed by 32 lowercase hex digits, such as ${own} for these credentials.`,
      });
    }
    if (requested !== own) {
      throw new GatewayError('forbidden', {
        detail: `The credentials belong to account ${own}, and the path names another account; use ${own} in the path.`,
      });
    }
    await next();
  });
}

/** Returns `user:password` of a Basic Authorization header, or undefined for any other header. */
function basicCredentials(header: string): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!match?.[1]) {
    return undefined;
  }
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  return decoded.includes(':') ? decoded : undefined;
}

function unauthorizedDetail(header: string, wellFormed: boolean): string {
  if (header === '') {
    return 'Send HTTP Basic credentials: the Account SID of your API key as the user name and the API key as the password.';
  }
  if (!wellFormed) {
    return 'This API takes HTTP Basic authentication: the Account SID of your API key as the user name and the API key as the password.';
  }
  return 'No API key with this Account SID and key is configured; check both, and that the key has an account_sid.';
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
