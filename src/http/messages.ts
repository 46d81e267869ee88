import { Hono } from 'hono';
import type { Context } from 'hono';
import type { Logger } from 'pino';

import type { Dispatch } from '../dispatch/dispatcher.js';
import type { Gateway } from '../gateway.js';
import type { RoutingResult } from '../routing/router.js';
import type { AppEnv } from './context.js';
import { wantsAsync } from './async-messages.js';
import { dispatchProblem } from './dispatch-problem.js';
import { malformedJson, parseMessageRequest, type MessageRequest } from './message-request.js';
import { problem, problemResponse } from './problem.js';
import { sendMessage, type MessageResponder } from './send-message.js';

type SentResult = Extract<RoutingResult, { readonly kind: 'sent' }>;

/** Routes under `/v1` that send messages. */
export function messageRoutes(gateway: Gateway, logger: Logger): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { number_validation: validation, default_region: defaultRegion } = gateway.config;
  const numbers = { validation, ...(defaultRegion ? { defaultRegion } : {}) };
  const responder = nativeResponder(gateway.now);

  routes.post('/messages', async (c) => {
    const input = await readJson(c);
    const request = parseMessageRequest(input, numbers, gateway.now());
    return sendMessage(c, gateway, logger, request, {
      asyncMode: wantsAsync(c, request),
      responder,
    });
  });
  return routes;
}

/** Writes `/v1` responses: 200 with the sent message, 202 for a queued one, else a problem. */
function nativeResponder(now: () => number): MessageResponder {
  return {
    dispatched: (c, request, dispatch) => {
      const { result } = dispatch;
      if (result.kind !== 'sent') {
        return Promise.resolve(problemResponse(c, dispatchProblem(dispatch, result, now)));
      }
      return Promise.resolve(c.json(sentBody(c, request, dispatch, result), 200));
    },
    queued: (c, request, queued) => {
      c.header('Location', `/v1/messages/${queued.id}`);
      const body = {
        id: queued.id,
        status: 'queued',
        to: request.message.to,
        route: queued.route,
        segments: request.segments,
        encoding: request.message.encoding,
        reference: request.message.reference ?? null,
        expires_at: new Date(queued.expiresAt).toISOString(),
        request_id: c.get('requestId'),
      };
      return Promise.resolve(c.json(body, 202));
    },
  };
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

/** Returns the 200 body of a message that a provider accepted; `result` is `dispatch.result`. */
function sentBody(
  c: Context<AppEnv>,
  request: MessageRequest,
  dispatch: Dispatch,
  result: SentResult,
) {
  const { message } = request;
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
}
