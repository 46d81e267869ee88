import { Hono, type MiddlewareHandler } from 'hono';

import type { Gateway } from '../gateway.js';
import { healthStatus, providerStatus } from '../status/status.js';
import type { AppEnv } from './context.js';

/** `GET /health` (no auth) and `GET /v1/providers` (API key). */
export function statusRoutes(
  gateway: Gateway,
  apiKeyAuth: MiddlewareHandler<AppEnv>,
): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/health', (c) => {
    const health = healthStatus(gateway);
    return c.json(
      { ...health, request_id: c.get('requestId') },
      health.status === 'down' ? 503 : 200,
    );
  });

  routes.get('/v1/providers', apiKeyAuth, (c) => {
    const providers = [...gateway.slots.values()].map((slot) => providerStatus(gateway, slot));
    return c.json({ providers, request_id: c.get('requestId') });
  });
  return routes;
}
