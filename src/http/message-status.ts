import { Hono } from 'hono';

import { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { MessageSummary, StoredMessage } from '../store/index.js';
import type { AppEnv } from './context.js';
import { parseListQuery, encodeCursor } from './message-list-query.js';

/**
 * Routes under `/v1` that read stored messages: `GET /messages/:id` and `GET /messages`. Each API
 * key sees only the messages it sent; another key's message id is a 404.
 */
export function messageStatusRoutes(gateway: Gateway): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/messages/:id', async (c) => {
    const id = c.req.param('id');
    const message = await gateway.store.getMessage(c.get('principal'), id);
    if (!message) {
      throw new GatewayError('not_found', {
        detail: 'No message with this id was sent with this API key, or it was pruned.',
      });
    }
    return c.json({ ...messageDetail(message), request_id: c.get('requestId') });
  });

  routes.get('/messages', async (c) => {
    const routeNames = gateway.router.routes.map((route) => route.name);
    const filter = parseListQuery(c.req.queries(), routeNames);
    const page = await gateway.store.listMessages(c.get('principal'), filter);
    return c.json({
      messages: page.messages.map(messageSummary),
      next_cursor: page.nextCursor ? encodeCursor(page.nextCursor) : null,
      request_id: c.get('requestId'),
    });
  });
  return routes;
}

/** Returns a stored message as the API shows it in a list. The body is never returned. */
export function messageSummary(message: MessageSummary) {
  return {
    id: message.id,
    status: message.status,
    code: message.code,
    mode: message.mode,
    route: message.route,
    to: message.to,
    from: message.from,
    reference: message.reference,
    encoding: message.encoding,
    segments: message.segments,
    provider: message.provider,
    provider_message_id: message.providerMessageId,
    possible_duplicate: message.possibleDuplicate,
    created_at: isoTime(message.createdAt),
    updated_at: isoTime(message.updatedAt),
    expires_at: message.expiresAt === null ? null : isoTime(message.expiresAt),
    callback_url: message.callbackUrl,
  };
}

/** Returns a stored message with its status history and attempts, oldest first. */
export function messageDetail(message: StoredMessage) {
  return {
    ...messageSummary(message),
    status_history: message.history.map((change) => ({
      status: change.status,
      code: change.code,
      provider_code: change.providerCode,
      at: isoTime(change.at),
    })),
    attempts: message.attempts.map((attempt) => ({
      number: attempt.number,
      provider: attempt.provider,
      // Null while the attempt runs; an attempt cut short by a crash is marked `ambiguous`.
      outcome: attempt.outcome,
      http_status: attempt.httpStatus,
      provider_code: attempt.providerCode,
      duration_ms: attempt.durationMs,
      started_at: isoTime(attempt.startedAt),
      ended_at: attempt.endedAt === null ? null : isoTime(attempt.endedAt),
      provider_message_id: attempt.providerMessageId,
      // A resend attempt went to another provider after a delivery failure or timeout, and
      // the accepted attempt it replaced is superseded.
      resend: attempt.resend,
      superseded: attempt.superseded,
      // What the provider last reported about this attempt; null until a report arrives.
      delivery:
        attempt.delivery === null
          ? null
          : {
              status: attempt.delivery.status,
              provider_code: attempt.delivery.providerCode,
              failure_class: attempt.delivery.failureClass,
              at: isoTime(attempt.delivery.at),
            },
    })),
  };
}

function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
