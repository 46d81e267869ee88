import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';

import { paramValue } from '../../../providers/delivery.js';
import {
  parseTwilioStatusCallback,
  verifyTwilioSignature,
} from '../../../providers/twilio/status-callback.js';
import {
  parseVonageDeliveryReceipt,
  verifyVonageSignature,
} from '../../../providers/vonage/delivery-receipt.js';
import type { ProviderConfig } from '../../config/index.js';
import { deliveryWebhookPaths } from '../../delivery/paths.js';
import type { Gateway } from '../../gateway.js';
import type { AppEnv } from '../context.js';
import {
  acknowledgeReport,
  calledUrl,
  invalidSignature,
  namedAttempt,
  readWebhookParams,
} from './request.js';

type TwilioConfig = Extract<ProviderConfig, { type: 'twilio' }>;
type VonageConfig = Extract<ProviderConfig, { type: 'vonage' }>;

/**
 * Builds the delivery webhooks, without API-key auth because providers sign their requests:
 * `POST /webhooks/twilio/status` and `GET` or `POST /webhooks/vonage/dlr` (alias
 * `/webhooks/vonage/status`). Each verifies the request, records the report with one store write
 * and responds with 204 and an empty body. A request that fails verification gets 403, is logged at
 * warn without secrets, and records nothing.
 */
export function webhookRoutes(gateway: Gateway, logger: Logger): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const { config } = gateway;
  // Disabled providers stay in: a message sent before the switch may still report.
  const twilioProviders = config.providers.filter((p): p is TwilioConfig => p.type === 'twilio');
  const vonageProviders = config.providers.filter((p): p is VonageConfig => p.type === 'vonage');

  const reject = (c: Context<AppEnv>, source: string, reason: string, detail: string): never => {
    logger.warn(
      { request_id: c.get('requestId'), source, path: c.req.path, reason },
      'webhook request rejected',
    );
    throw invalidSignature(detail);
  };

  routes.post(deliveryWebhookPaths.twilio, async (c) => {
    const params = await readWebhookParams(c);
    // Twilio always sends AccountSid; without it, every configured account's token is tried.
    const accountSid = paramValue(params, 'AccountSid');
    const candidates = twilioProviders.filter(
      (p) => accountSid === undefined || p.options.account_sid === accountSid,
    );
    const url = calledUrl(c, config.server.public_base_url);
    const signature = c.req.header('X-Twilio-Signature');
    const providers = candidates.filter((p) =>
      verifyTwilioSignature(p.options.auth_token, signature, url, params),
    );
    if (providers.length === 0) {
      const reason =
        candidates.length === 0
          ? 'AccountSid matches no configured provider'
          : 'signature mismatch';
      return reject(
        c,
        'twilio',
        reason,
        'X-Twilio-Signature is missing or does not match this request for the account in ' +
          'AccountSid. Check that server.public_base_url is the URL that Twilio calls.',
      );
    }

    // The signature covers the query string, so the attempt it names is the one the gateway sent.
    const report = parseTwilioStatusCallback(params);
    const ids = providers.map((p) => p.id);
    return acknowledgeReport(c, gateway.delivery, 'twilio', ids, report, namedAttempt(c));
  });

  const vonageReceipt = async (c: Context<AppEnv>): Promise<Response> => {
    const params = await readWebhookParams(c);
    const apiKey = paramValue(params, 'api-key');
    const providers = vonageProviders.filter((p) => p.options.api_key === apiKey);
    if (providers.length === 0) {
      return reject(
        c,
        'vonage',
        'api-key matches no configured provider',
        'The api-key of this delivery receipt matches no configured Vonage provider.',
      );
    }

    const signed = providers.filter((p) => p.options.signature_secret !== undefined);
    if (signed.length > 0) {
      const problems = signed.map((p) =>
        verifyVonageSignature(
          params,
          p.options.signature_secret ?? '',
          p.options.signature_method,
          p.options.signature_max_age_ms,
          gateway.now(),
        ),
      );
      if (!problems.includes(undefined)) {
        return reject(
          c,
          'vonage',
          problems[0] ?? 'signature mismatch',
          'The sig of this delivery receipt is missing, too old or does not match the ' +
            'signature secret and method configured for its api-key.',
        );
      }
    }

    const ids = providers.map((p) => p.id);
    return acknowledgeReport(
      c,
      gateway.delivery,
      'vonage',
      ids,
      parseVonageDeliveryReceipt(params),
    );
  };
  for (const path of [deliveryWebhookPaths.vonage, deliveryWebhookPaths.vonageAlias]) {
    routes.on(['GET', 'POST'], path, vonageReceipt);
  }
  return routes;
}
