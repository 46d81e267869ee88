import { createHash, timingSafeEqual } from 'node:crypto';

import { createMiddleware } from 'hono/factory';

import { GatewayError } from '../errors.js';
import type { Credential } from './auth.js';
import type { AppEnv } from './context.js';

/**
 * Returns middleware for the read-only operator views (`/status`, `/status/events`, `/metrics`)
 * when `[status_page] require_admin_token` is true. It takes an admin token as a bearer token,
 * for scrapers and tools, or as the password of HTTP Basic authentication with any user name,
 * so that a browser prompts for it and sends it again with the page's event stream.
 */
export function adminTokenGate(credentials: readonly Credential[]) {
  const digests = credentials.map(({ name, secret }) => ({ name, digest: sha256(secret) }));

  return createMiddleware<AppEnv>(async (c, next) => {
    const presented = presentedSecret(c.req.header('Authorization') ?? '');
    const digest = presented === undefined ? undefined : sha256(presented);
    const found = digest
      ? digests.find((entry) => timingSafeEqual(entry.digest, digest))
      : undefined;
    if (!found) {
      throw new GatewayError('unauthorized', {
        detail:
          'This gateway requires an admin token for its status page and metrics; send it as a bearer token or as the Basic password.',
        headers: {
          'WWW-Authenticate':
            'Basic realm="sms-relay status", charset="UTF-8", Bearer realm="sms-relay status"',
        },
      });
    }
    c.set('principal', found.name);
    await next();
  });
}

/** Returns the secret of a Bearer or Basic Authorization header, or undefined. */
function presentedSecret(header: string): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer?.[1]) {
    return bearer[1];
  }
  const basic = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header);
  if (!basic?.[1]) {
    return undefined;
  }
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : decoded.slice(colon + 1);
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
