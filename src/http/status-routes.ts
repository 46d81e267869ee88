import { createHash } from 'node:crypto';

import { Hono, type MiddlewareHandler } from 'hono';

import type { Gateway } from '../gateway.js';
import { healthStatus, providersDocument, readinessStatus } from '../status/status.js';
import type { Credential } from './auth.js';
import type { AppEnv } from './context.js';
import { adminTokenGate } from './status-page-auth.js';
import { statusEvents, type StatusEventTiming } from './status-page-events.js';
import { STATUS_SCRIPT } from './status-page-script.js';
import { STATUS_STYLE } from './status-page-style.js';
import { StatusPage } from './status-page.js';

export interface StatusRouteOptions {
  readonly apiKeyAuth: MiddlewareHandler<AppEnv>;
  /** Checked on `/status`, `/status/events` and `/metrics` when the config requires them. */
  readonly adminTokens: readonly Credential[];
  /** Returns true once shutdown has begun; open event streams end then. */
  readonly isDraining: () => boolean;
  readonly eventTiming?: StatusEventTiming;
}

// The page allows only its own inline style and script (by hash) and requests to itself.
const pageSecurityPolicy = [
  "default-src 'none'",
  `style-src '${hashSource(STATUS_STYLE)}'`,
  `script-src '${hashSource(STATUS_SCRIPT)}'`,
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Returns the health, status and metrics endpoints: `GET /health`, `/health/live` and `/health/ready`
 * (no auth), `GET /v1/providers` (API key), and `GET /status`, `/status/events` and `/metrics`
 * (open, or behind an admin token when `[status_page] require_admin_token` is true).
 */
export function statusRoutes(gateway: Gateway, options: StatusRouteOptions): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const operatorViews: MiddlewareHandler<AppEnv> = gateway.config.status_page.require_admin_token
    ? adminTokenGate(options.adminTokens)
    : (_c, next) => next();

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

  routes.get('/v1/providers', options.apiKeyAuth, (c) =>
    c.json({ ...providersDocument(gateway), request_id: c.get('requestId') }),
  );

  routes.get('/status', operatorViews, (c) => {
    c.header('Content-Security-Policy', pageSecurityPolicy);
    c.header('Cache-Control', 'no-store');
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    const page = StatusPage({
      document: providersDocument(gateway),
      health: healthStatus(gateway).status,
    });
    return c.html(`<!doctype html>${String(page)}`);
  });
  routes.get(
    '/status/events',
    operatorViews,
    statusEvents(gateway, options.isDraining, options.eventTiming),
  );

  routes.get('/metrics', operatorViews, async (c) => {
    c.header('Content-Type', gateway.metrics.contentType);
    c.header('Cache-Control', 'no-store');
    return c.body(await gateway.metrics.render());
  });
  return routes;
}

function hashSource(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}
