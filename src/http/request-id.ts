import { randomUUID } from 'node:crypto';

import { createMiddleware } from 'hono/factory';

import type { AppEnv } from './context.js';

// Request ids from clients end up in logs and headers, so only a safe alphabet is taken.
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Returns middleware that gives each request an id: the client's `X-Request-Id` when
 * `trustClientId` is set and the value is 1 to 128 safe characters, else a new UUID. The id is
 * stored on the context and sent back in `X-Request-Id`.
 */
export function requestId(trustClientId: boolean) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const offered = c.req.header('X-Request-Id');
    const id = trustClientId && offered && CLIENT_REQUEST_ID.test(offered) ? offered : randomUUID();
    c.set('requestId', id);
    c.header('X-Request-Id', id);
    await next();
  });
}
