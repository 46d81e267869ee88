import type { Context } from 'hono';

import type { QueuedMessage } from '../dispatch/queue.js';
import type { Gateway } from '../gateway.js';
import type { Route } from '../routing/router.js';
import type { AppEnv } from './context.js';
import { releaseUnwritten, type ClaimedKey } from './idempotency.js';
import type { MessageRequest } from './message-request.js';

/**
 * Returns true when the client asked for async mode: `"mode": "async"` in the body, or, when the
 * body has no `mode`, `Prefer: respond-async` (RFC 7240).
 */
export function wantsAsync(c: Context<AppEnv>, request: MessageRequest): boolean {
  if (request.mode !== undefined) {
    return request.mode === 'async';
  }
  return preferRespondAsync(c.req.header('Prefer'));
}

/** Returns true when a `Prefer` header (RFC 7240) contains the `respond-async` preference. */
export function preferRespondAsync(header: string | undefined): boolean {
  if (header === undefined) {
    return false;
  }
  return header
    .split(',')
    .map((preference) => preference.split(';')[0]?.trim().toLowerCase())
    .includes('respond-async');
}

/**
 * Writes an async message to the queue and returns the response that `render` builds for it.
 * The response goes out only after the write, so a crash after it loses nothing.
 */
export async function acceptAsync(
  c: Context<AppEnv>,
  gateway: Gateway,
  accepted: { request: MessageRequest; route: Route; messageId: string },
  claimed: ClaimedKey | undefined,
  render: (queued: QueuedMessage) => Promise<Response>,
): Promise<Response> {
  const { request, route, messageId } = accepted;
  const principal = c.get('principal');
  let queued;
  try {
    queued = await gateway.queue.enqueue(
      request.message,
      { requestId: c.get('requestId'), principal, messageId },
      route,
      request.expiresAt,
    );
  } catch (error) {
    await releaseUnwritten(gateway, claimed, principal, messageId);
    throw error;
  }

  c.set('outcome', 'queued');
  c.set('messageId', queued.id);
  if (request.message.reference !== undefined) {
    c.set('reference', request.message.reference);
  }
  if (request.mode === undefined) {
    c.header('Preference-Applied', 'respond-async');
  }
  const response = await render(queued);
  return claimed ? claimed.complete(response) : response;
}
