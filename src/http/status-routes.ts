import { Hono, type MiddlewareHandler } from 'hono';

import type { Gateway } from '../gateway.js';
import { healthStatus, providersDocument, readinessStatus } from '../status/status.js';
import type { AppEnv } from './context.js';

/**
 * Returns `GET /health`, `/health/live`, `/health/ready` and `/metrics` (no auth) and
 * `GET /v1/providers` (API key).
 */
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

  routes.get('/health/live', (c) => c.json({ status: 'live', request_id: c.get('requestId') }));
  routes.get('/health/ready', (c) => {
    const readiness = readinessStatus(gateway);
    return c.json(
      { ...readiness, request_id: c.get('requestId') },
      readiness.status === 'ready' ? 200 : 503,
    );
  });

  routes.get('/v1/providers', apiKeyAuth, (c) =>
    c.json({ ...providersDocument(gateway), request_id: c.get('requestId') }),
  );

  routes.get('/metrics', async (c) => {
    c.header('Content-Type', gateway.metrics.contentType);
    c.header('Cache-Control', 'no-store');
    return c.body(await gateway.metrics.render());
  });
  return routes;
}
