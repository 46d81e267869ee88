import { randomUUID } from 'node:crypto';

import { Hono } from 'hono';
import type { Context } from 'hono';
import type { Logger } from 'pino';

import type { Dispatch } from '../dispatch/dispatcher.js';
import { GatewayError, rejectionProblem } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { Route } from '../routing/router.js';
import type { AppEnv } from './context.js';
import { acceptAsync, wantsAsync } from './async-messages.js';
import { claimIdempotencyKey, releaseUnwritten } from './idempotency.js';
import {
  expiryBeyondLimit,
  expiryNeedsAsync,
  malformedJson,
  parseMessageRequest,
  type MessageRequest,
} from './message-request.js';
import { problem, problemResponse } from './problem.js';

/** Routes under `/v1` that send messages. */
export function messageRoutes(gateway: Gateway, logger: Logger): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { number_validation: validation, default_region: defaultRegion } = gateway.config;
  const numbers = { validation, ...(defaultRegion ? { defaultRegion } : {}) };

  routes.post('/messages', async (c) => {
    const input = await readJson(c);
    const request = parseMessageRequest(input, numbers, gateway.now());
    if (request.expiresAt !== undefined && !wantsAsync(c, request)) {
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
    if (wantsAsync(c, request)) {
      return acceptAsync(c, gateway, { request, route, messageId }, claimed);
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
    const response = respond(c, request, dispatch, gateway.now);
    if (!claimed) {
      return response;
    }
    // No provider saw the message, so a retry with the same key may send it.
    if (dispatch.result.attempts.length === 0) {
      await claimed.release();
      return response;
    }
    return claimed.complete(response);
  });
  return routes;
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

/** Returns the response to a dispatched message: 200 when sent, else its problem document. */
function respond(
  c: Context<AppEnv>,
  request: MessageRequest,
  dispatch: Dispatch,
  now: () => number,
): Response {
  try {
    return c.json(sentBody(c, request, dispatch, now), 200);
  } catch (error) {
    return problemResponse(c, error);
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

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const type = c.req.header('Content-Type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw problem(
      'unsupported_media_type',
      'Send the message as JSON with "Content-Type: application/json".',
    );
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformedJson();
  }
}

/** Returns the 200 body of a sent message, or throws the problem for any other result. */
function sentBody(
  c: Context<AppEnv>,
  request: MessageRequest,
  dispatch: Dispatch,
  now: () => number,
) {
  const { result } = dispatch;
  const { message } = request;
  const common = {
    id: dispatch.id,
    route: dispatch.route,
    // An ambiguous attempt may have reached the recipient, so a resend may duplicate it.
    possible_duplicate: result.attempts.some((attempt) => attempt.outcome === 'ambiguous'),
    attempts: result.attempts,
  };

  switch (result.kind) {
    case 'sent':
      return {
        id: dispatch.id,
        status: 'sent',
        to: message.to,
        provider: result.provider,
        provider_message_id: result.providerMessageId,
        segments: result.providerSegments ?? request.segments,
        encoding: message.encoding,
        possible_duplicate: result.possibleDuplicate,
        reference: message.reference ?? null,
        route: dispatch.route,
        attempts: result.attempts,
        request_id: c.get('requestId'),
      };
    case 'rejected':
      throw new GatewayError(rejectionProblem[result.rejection], {
        detail: `Provider ${result.provider} rejected the message: ${result.detail}. Another provider would reject it too, so it was not tried.`,
        extensions: common,
      });
    case 'all_providers_failed':
      throw new GatewayError('all_providers_failed', {
        detail: 'Every provider of the route failed; the message was escalated.',
        extensions: { ...common, escalated_to: dispatch.escalatedTo },
      });
    case 'outcome_unknown':
      throw new GatewayError('outcome_unknown', {
        detail:
          'A provider may have accepted the message, but its answer was lost or came too late, and the route does not fail over after such an attempt or its deadline passed; check delivery before resending.',
        extensions: { ...common, escalated_to: dispatch.escalatedTo },
      });
    case 'deadline_exceeded':
      throw new GatewayError('deadline_exceeded', {
        detail: 'The message deadline passed before any provider accepted the message.',
        extensions: { ...common, escalated_to: dispatch.escalatedTo },
      });
    case 'no_provider_available': {
      const waitMs = Number.isFinite(result.retryAt) ? result.retryAt - now() : 1000;
      const retryAfter = String(Math.max(1, Math.ceil(waitMs / 1000)));
      throw new GatewayError('no_provider_available', {
        detail: `Every provider of route "${dispatch.route}" is open or cooling down; retry after ${retryAfter} s.`,
        extensions: {
          ...common,
          escalated_to: dispatch.escalatedTo,
          retry_after: Number(retryAfter),
        },
        headers: { 'Retry-After': retryAfter },
      });
    }
  }
}
