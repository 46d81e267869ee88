import { Hono } from 'hono';
import type { Context } from 'hono';
import type { Logger } from 'pino';

import { GatewayError } from '../../errors.js';
import type { Gateway } from '../../gateway.js';
import type { StoredMessage } from '../../store/index.js';
import { preferRespondAsync } from '../async-messages.js';
import type { AppEnv } from '../context.js';
import { dispatchProblem } from '../dispatch-problem.js';
import { sendMessage, type MessageResponder } from '../send-message.js';
import { requireOwnAccount, twilioBasicAuth } from './auth.js';
import { twilioErrorResponse } from './errors.js';
import { parseListQuery, pagingFields } from './message-list.js';
import { parseMessageForm, readForm } from './message-form.js';
import {
  messageResource,
  messagesPath,
  POSSIBLE_DUPLICATE_HEADER,
  TWILIO_API_VERSION,
} from './resource.js';
import { messageIdOf } from './sid.js';

/** Path prefix of the Twilio-compatible API. */
export const TWILIO_API_PREFIX = `/${TWILIO_API_VERSION}`;

/** Returns true when `path` belongs to the Twilio-compatible API, whose errors have Twilio's shape. */
export function isTwilioApiPath(path: string): boolean {
  return path === TWILIO_API_PREFIX || path.startsWith(`${TWILIO_API_PREFIX}/`);
}

/**
 * Routes of the Twilio-compatible Messages API, to mount at `TWILIO_API_PREFIX`: create, fetch
 * and list under `/Accounts/{AccountSid}/`. Messages go through the same sending path as
 * `POST /v1/messages`, and the resources are read back from the store.
 */
export function twilioRoutes(gateway: Gateway, logger: Logger): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { number_validation: validation, default_region: defaultRegion } = gateway.config;
  const numbers = { validation, ...(defaultRegion ? { defaultRegion } : {}) };
  const responder = twilioResponder(gateway);

  routes.use('*', twilioBasicAuth(gateway.config.api_keys));
  routes.use('/Accounts/:accountSid/*', requireOwnAccount());

  routes.post('/Accounts/:accountSid/Messages.json', async (c) => {
    const form = await readForm(c);
    const asyncMode = preferRespondAsync(c.req.header('Prefer'));
    const request = parseMessageForm(form, { numbers, now: gateway.now(), asyncMode });
    return sendMessage(c, gateway, logger, request, { asyncMode, responder });
  });

  routes.get('/Accounts/:accountSid/Messages/:file', async (c) => {
    const file = c.req.param('file');
    const id = file.endsWith('.json') ? messageIdOf(file.slice(0, -'.json'.length)) : undefined;
    const message =
      id === undefined ? undefined : await gateway.store.getMessage(c.get('principal'), id);
    if (!message) {
      throw new GatewayError('not_found', {
        detail:
          'No message with this SID was sent with these credentials, or it was pruned; the path ends in Messages/{Sid}.json.',
      });
    }
    return resourceResponse(c, gateway, message, 200);
  });

  routes.get('/Accounts/:accountSid/Messages.json', async (c) => {
    const query = parseListQuery(c.req.queries());
    const principal = c.get('principal');
    const page = await gateway.store.listMessages(principal, query.filter);
    const stored = await Promise.all(
      page.messages.map((summary) => gateway.store.getMessage(principal, summary.id)),
    );
    // A message pruned between the two reads is left out.
    const messages = stored.flatMap((message) =>
      message === undefined ? [] : [messageResource(message, resourceContext(c, gateway))],
    );
    const listPath = `${messagesPath(c.get('accountSid'))}.json`;
    return c.json({
      messages,
      ...pagingFields(listPath, query, messages.length, page.nextCursor),
    });
  });
  return routes;
}

function resourceContext(c: Context<AppEnv>, gateway: Gateway) {
  return { accountSid: c.get('accountSid'), providers: gateway.config.providers };
}

/** Writes the Message resource of `message`, with the possible-duplicate header when it is flagged. */
function resourceResponse(
  c: Context<AppEnv>,
  gateway: Gateway,
  message: StoredMessage,
  status: 200 | 201,
): Response {
  if (message.possibleDuplicate) {
    c.header(POSSIBLE_DUPLICATE_HEADER, 'true');
  }
  return c.json(messageResource(message, resourceContext(c, gateway)), status);
}

/**
 * Writes create responses: 201 with the Message resource read back from the store, for a sent
 * message and for a queued one alike, else Twilio's error shape.
 */
function twilioResponder(gateway: Gateway): MessageResponder {
  const created = async (c: Context<AppEnv>, messageId: string): Promise<Response> => {
    const message = await gateway.store.getMessage(c.get('principal'), messageId);
    if (!message) {
      throw new Error(`message ${messageId} is missing from the store right after it was written`);
    }
    return resourceResponse(c, gateway, message, 201);
  };

  return {
    dispatched: (c, _request, dispatch) => {
      const { result } = dispatch;
      if (result.kind !== 'sent') {
        const error = dispatchProblem(dispatch, result, gateway.now);
        return Promise.resolve(twilioErrorResponse(c, error));
      }
      return created(c, dispatch.id);
    },
    queued: (c, _request, queued) => created(c, queued.id),
  };
}
