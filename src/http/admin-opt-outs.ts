import { Hono } from 'hono';
import type { Logger } from 'pino';

import { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import { maskPhoneNumber, normalizeRecipient } from '../sms/index.js';
import type { OptOut } from '../store/index.js';
import type { AppEnv } from './context.js';

const MAX_LISTED = 500;

/**
 * Admin routes for opt-outs: `GET /opt-outs` (optionally `?recipient=`) lists them, and
 * `DELETE /opt-outs/:sender/:recipient` clears one, so that messages for the pair go out again.
 */
export function optOutRoutes(gateway: Gateway, logger: Logger): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/opt-outs', async (c) => {
    const text = c.req.query('recipient');
    const recipient = text === undefined ? undefined : parseRecipient(text);
    const optOuts = await gateway.store.listOptOuts({
      limit: MAX_LISTED,
      ...(recipient === undefined ? {} : { recipient }),
    });
    return c.json({ opt_outs: optOuts.map(optOutView), request_id: c.get('requestId') });
  });

  routes.delete('/opt-outs/:sender/:recipient', async (c) => {
    const sender = c.req.param('sender');
    const recipient = parseRecipient(c.req.param('recipient'));
    if (!(await gateway.store.deleteOptOut(sender, recipient))) {
      throw new GatewayError('not_found', {
        detail:
          'No opt-out is recorded for this sender and recipient; GET /admin/opt-outs lists them.',
      });
    }

    logger.info(
      { principal: c.get('principal'), sender, recipient: maskPhoneNumber(recipient) },
      'opt-out cleared',
    );
    return c.body(null, 204);
  });
  return routes;
}

function parseRecipient(text: string): string {
  const parsed = normalizeRecipient(text, { validation: 'possible' });
  if (!parsed.ok) {
    throw new GatewayError('invalid_request', {
      detail: `recipient: ${parsed.message}.`,
      errors: [{ path: 'recipient', code: parsed.code, message: parsed.message }],
    });
  }
  return parsed.e164;
}

function optOutView(optOut: OptOut) {
  return {
    sender: optOut.sender,
    recipient: optOut.recipient,
    provider: optOut.provider,
    message_id: optOut.messageId,
    created_at: new Date(optOut.createdAt).toISOString(),
  };
}
