import { createHash, timingSafeEqual } from 'node:crypto';

import { createMiddleware } from 'hono/factory';

import { GatewayError } from '../errors.js';
import type { AppEnv } from './context.js';

/** A named secret that authenticates requests: an API key or an admin token. */
export interface Credential {
  readonly name: string;
  readonly secret: string;
}

/**
 * Returns middleware that requires `Authorization: Bearer <secret>` matching one of
 * `credentials`, and stores the credential's name as the request's principal. Secrets are
 * compared as SHA-256 digests in constant time, so neither their content nor length leaks.
 */
export function bearerAuth(credentials: readonly Credential[], realm: string) {
  const digests = credentials.map((credential) => ({
    name: credential.name,
    digest: sha256(credential.secret),
  }));

  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('Authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const presented = match?.[1] ? sha256(match[1]) : undefined;
    const found = presented
      ? digests.find((entry) => timingSafeEqual(entry.digest, presented))
      : undefined;

    if (!found) {
      throw new GatewayError('unauthorized', {
        detail: header
          ? `The ${realm} in the Authorization header is not valid.`
          : `Send the ${realm} as "Authorization: Bearer <${realm}>".`,
        headers: { 'WWW-Authenticate': `Bearer realm="${realm}"` },
      });
    }
    c.set('principal', found.name);
    await next();
  });
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
