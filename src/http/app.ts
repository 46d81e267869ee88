import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';

import { deliveryWebhookPaths } from '../delivery/paths.js';
import { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { removePhoneNumbers } from '../observability/redact.js';
import { adminRoutes, providerActions } from './admin.js';
import { optOutRoutes } from './admin-opt-outs.js';
import { bearerAuth } from './auth.js';
import type { AppEnv } from './context.js';
import { messageStatusRoutes } from './message-status.js';
import { messageRoutes } from './messages.js';
import { problem, problemResponse } from './problem.js';
import { requestId } from './request-id.js';
import { statusRoutes } from './status-routes.js';
import { twilioErrorResponse } from './twilio/errors.js';
import { isTwilioApiPath, TWILIO_API_PREFIX, twilioRoutes } from './twilio/routes.js';
import { webhookRoutes } from './webhooks/routes.js';

/** Largest request body the API reads. */
export const MAX_REQUEST_BYTES = 64 * 1024;

// Registered after the real handlers, so these handle only the methods that no handler took.
const allowedMethods: Readonly<Record<string, string>> = {
  '/health': 'GET, HEAD',
  '/health/live': 'GET, HEAD',
  '/health/ready': 'GET, HEAD',
  '/status': 'GET, HEAD',
  '/status/events': 'GET, HEAD',
  '/metrics': 'GET, HEAD',
  '/v1/providers': 'GET, HEAD',
  '/v1/messages': 'GET, HEAD, POST',
  '/v1/messages/:id': 'GET, HEAD',
  '/admin/providers/:id/simulate': 'POST',
  '/admin/opt-outs': 'GET, HEAD',
  '/admin/opt-outs/:sender/:recipient': 'DELETE',
  [`${TWILIO_API_PREFIX}/Accounts/:accountSid/Messages.json`]: 'GET, HEAD, POST',
  [`${TWILIO_API_PREFIX}/Accounts/:accountSid/Messages/:file`]: 'GET, HEAD',
  [deliveryWebhookPaths.twilio]: 'POST',
  [deliveryWebhookPaths.vonage]: 'GET, HEAD, POST',
  [deliveryWebhookPaths.vonageAlias]: 'GET, HEAD, POST',
  ...Object.fromEntries(
    providerActions.map((action) => [`/admin/providers/:id/${action}`, 'POST']),
  ),
};

export interface AppOptions {
  readonly logger: Logger;
  /** Returns true once shutdown has begun. */
  readonly isDraining: () => boolean;
}

/** Builds the HTTP API of `gateway`. */
export function createApp(gateway: Gateway, options: AppOptions): Hono<AppEnv> {
  const { config } = gateway;
  const app = new Hono<AppEnv>();
  const apiKeys = config.api_keys.map(({ name, key }) => ({ name, secret: key }));
  const adminTokens = config.admin_tokens.map(({ name, token }) => ({ name, secret: token }));

  app.use(requestId(config.server.trust_request_id));
  app.use(requestLog(options.logger));
  app.use(drainGuard(options.isDraining));
  app.use(
    bodyLimit({
      maxSize: MAX_REQUEST_BYTES,
      onError: () => {
        throw problem(
          'payload_too_large',
          `The request body is larger than ${MAX_REQUEST_BYTES} bytes; send one message per request.`,
        );
      },
    }),
  );

  app.route(
    '/',
    statusRoutes(gateway, {
      apiKeyAuth: bearerAuth(apiKeys, 'API key'),
      adminTokens,
      isDraining: options.isDraining,
    }),
  );
  app.use('/v1/*', bearerAuth(apiKeys, 'API key'));
  app.route('/v1', messageRoutes(gateway, options.logger));
  app.route('/v1', messageStatusRoutes(gateway));
  app.route('/', webhookRoutes(gateway, options.logger));
  app.use('/admin/*', bearerAuth(adminTokens, 'admin token'));
  app.route('/admin', adminRoutes(gateway, options.logger));
  app.route('/admin', optOutRoutes(gateway, options.logger));
  app.route(TWILIO_API_PREFIX, twilioRoutes(gateway, options.logger));
  for (const [path, allowed] of Object.entries(allowedMethods)) {
    app.all(path, (c) => {
      throw new GatewayError('method_not_allowed', {
        detail: `${c.req.method} is not allowed on ${c.req.path}, which accepts ${allowed} only.`,
        headers: { Allow: allowed },
      });
    });
  }

  app.notFound((c) => {
    throw problem(
      'not_found',
      isTwilioApiPath(c.req.path)
        ? `No resource at this path; the Twilio-compatible API serves Messages.json and Messages/{Sid}.json under ${TWILIO_API_PREFIX}/Accounts/{AccountSid}/.`
        : 'No endpoint at this path; see the API reference in the README.',
    );
  });
  app.onError((error, c) => {
    if (!(error instanceof GatewayError)) {
      options.logger.error({ err: error, request_id: c.get('requestId') }, 'request failed');
    }
    return isTwilioApiPath(c.req.path) ? twilioErrorResponse(c, error) : problemResponse(c, error);
  });
  return app;
}

function redactedReference(reference: string | undefined): string | undefined {
  return reference === undefined ? undefined : removePhoneNumbers(reference);
}

/**
 * Logs one line per request with its status, outcome, the providers tried and, for a message, its
 * id and reference.
 */
function requestLog(logger: Logger) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    await next();

    const status = c.res.status;
    const level = status >= 500 ? 'error' : 'info';
    logger[level](
      {
        request_id: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status,
        duration_ms: Math.round(performance.now() - started),
        principal: c.get('principal'),
        outcome: c.get('outcome'),
        providers: c.get('providersTried'),
        message_id: c.get('messageId'),
        reference: redactedReference(c.get('reference')),
      },
      'request',
    );
  });
}

/**
 * Rejects requests that arrive once shutdown has begun with 503, and marks every response written
 * after that point `Connection: close` so that keep-alive clients let go of the socket.
 */
function drainGuard(isDraining: () => boolean) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (isDraining()) {
      throw new GatewayError('shutting_down', {
        detail: 'The gateway is shutting down; retry against another instance or in a moment.',
        headers: { 'Retry-After': '1', Connection: 'close' },
      });
    }
    await next();
    if (isDraining()) {
      c.res.headers.set('Connection', 'close');
    }
  });
}
