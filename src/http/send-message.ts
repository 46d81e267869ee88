import { randomUUID } from 'node:crypto';

import type { Context } from 'hono';
import type { Logger } from 'pino';

import type { Dispatch } from '../dispatch/dispatcher.js';
import type { QueuedMessage } from '../dispatch/queue.js';
import { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { Route } from '../routing/router.js';
import type { AppEnv } from './context.js';
import { acceptAsync } from './async-messages.js';
import { claimIdempotencyKey, releaseUnwritten } from './idempotency.js';
import { expiryBeyondLimit, expiryNeedsAsync, type MessageRequest } from './message-request.js';

/**
 * The response writer of one API. Its responses are stored for idempotent replays, so a failed
 * message gets its error response from here too, not as a thrown error.
 */
export interface MessageResponder {
  /** Returns the response to a message that a provider sent, or the error it ended with. */
  dispatched(c: Context<AppEnv>, request: MessageRequest, dispatch: Dispatch): Promise<Response>;
  /** Returns the response to a message written to the async queue. */
  queued(c: Context<AppEnv>, request: MessageRequest, queued: QueuedMessage): Promise<Response>;
}

/**
 * Sends one validated message the way every API does: route selection, the opt-out check, the
 * idempotency key, then the async queue or a sync dispatch through the router. `asyncMode` is the
 * client's choice of async sending. Errors before a key is bound (unknown route, opt-out,
 * idempotency conflicts) are thrown as `GatewayError`.
 */
export async function sendMessage(
  c: Context<AppEnv>,
  gateway: Gateway,
  logger: Logger,
  request: MessageRequest,
  options: { readonly asyncMode: boolean; readonly responder: MessageResponder },
): Promise<Response> {
  const { asyncMode, responder } = options;
  if (request.expiresAt !== undefined && !asyncMode) {
    throw expiryNeedsAsync();
  }
  // An unknown route is a 400 that must not bind the idempotency key.
  const route = gateway.dispatcher.selectRoute(request.message);
  rejectDistantExpiry(gateway, request, route);
  await rejectOptedOut(gateway, request, route);
  const messageId = randomUUID();
  const decision = await claimIdempotencyKey(c, gateway, {
    fingerprint: request.fingerprint,
    messageId,
  });
  if (decision.kind === 'replay') {
    return decision.response;
  }

  const claimed = decision.kind === 'claimed' ? decision.claimed : undefined;
  if (asyncMode) {
    return acceptAsync(c, gateway, { request, route, messageId }, claimed, (queued) =>
      responder.queued(c, request, queued),
    );
  }

  let dispatch: Dispatch;
  try {
    dispatch = await gateway.dispatcher.dispatch(request.message, {
      requestId: c.get('requestId'),
      principal: c.get('principal'),
      messageId,
    });
  } catch (error) {
    await releaseUnwritten(gateway, claimed, c.get('principal'), messageId);
    throw error;
  }

  logOutcome(c, logger, request, dispatch);
  const response = await responder.dispatched(c, request, dispatch);
  if (!claimed) {
    return response;
  }
  // No provider saw the message, so a retry with the same key may send it.
  if (dispatch.result.attempts.length === 0) {
    await claimed.release();
    return response;
  }
  return claimed.complete(response);
}

/** Sets the request log fields of a dispatched message and logs escalations and duplicates. */
function logOutcome(
  c: Context<AppEnv>,
  logger: Logger,
  request: MessageRequest,
  dispatch: Dispatch,
): void {
  c.set('outcome', dispatch.result.kind);
  c.set('providersTried', [...new Set(dispatch.result.attempts.map((a) => a.provider))]);
  c.set('messageId', dispatch.id);
  if (request.message.reference !== undefined) {
    c.set('reference', request.message.reference);
  }
  if (dispatch.escalatedTo.length > 0) {
    logger.error(
      {
        request_id: c.get('requestId'),
        message_id: dispatch.id,
        reason: dispatch.result.kind,
        route: dispatch.route,
        channels: dispatch.escalatedTo,
      },
      'message escalated',
    );
  }
  if (dispatch.result.kind === 'sent' && dispatch.result.possibleDuplicate) {
    logger.warn(
      { request_id: c.get('requestId'), message_id: dispatch.id },
      'message sent after an ambiguous attempt; it may have been delivered twice',
    );
  }
}

/** Throws 400 `invalid_request` when `expires_at` is later than the route's maximum validity. */
function rejectDistantExpiry(gateway: Gateway, request: MessageRequest, route: Route): void {
  const maxValidityMs = gateway.config.routes[route.name]?.async_max_validity_ms;
  if (request.expiresAt === undefined || maxValidityMs === undefined) {
    return;
  }
  const error = expiryBeyondLimit(request.expiresAt, gateway.now(), route.name, maxValidityMs);
  if (error) {
    throw error;
  }
}

/**
 * Throws 422 `recipient_opted_out` when the recipient opted out of the message's sender. Like a
 * validation error, the refusal is not stored and binds no idempotency key.
 */
async function rejectOptedOut(gateway: Gateway, request: MessageRequest, route: Route) {
  const optOut = await gateway.optOuts.blocking({ id: '', ...request.message }, route);
  if (!optOut) {
    return;
  }
  throw new GatewayError('recipient_opted_out', {
    detail: `The recipient opted out of messages from this sender (reported by ${optOut.provider} on ${new Date(optOut.createdAt).toISOString()}), so no provider was called. An operator can clear it with DELETE /admin/opt-outs.`,
  });
}
