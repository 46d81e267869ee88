import { createHmac } from 'node:crypto';

import type { Config } from '../../config/index.js';
import type { CallbackEncoder } from '../../dispatch/callback-request.js';
import type { CallbackDelivery } from '../../store/index.js';
import {
  senderOf,
  twilioError,
  twilioStatus,
  TWILIO_API_VERSION,
  type TwilioMessageStatus,
} from './resource.js';
import { messageSid } from './sid.js';

/** Header of Twilio's webhook signature. */
export const TWILIO_SIGNATURE_HEADER = 'X-Twilio-Signature';

/**
 * Returns the `X-Twilio-Signature` of a form-encoded POST: the base64 HMAC-SHA1, keyed with
 * `authToken`, of `url` followed by each parameter's name and value, names in code unit order.
 * This is what `getExpectedTwilioSignature` of twilio-node 6.3.1 computes, and so what its
 * `validateRequest` accepts.
 */
export function twilioSignature(
  authToken: string,
  url: string,
  params: Readonly<Record<string, string>>,
): string {
  const names = Object.keys(params).sort();
  const data = names.reduce((text, name) => `${text}${name}${params[name]}`, url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * Returns the parameters of Twilio's status callback for one status change. `MessageSid` is the
 * SID of the Twilio-compatible API, and `SmsSid` and `SmsStatus` repeat `MessageSid` and
 * `MessageStatus`, as Twilio sends them. `From` and `MessagingServiceSid` are those of the
 * Message resource, and each is left out when the resource has null. `ErrorCode` is present
 * only on a `failed` change.
 */
export function statusCallbackParameters(
  delivery: CallbackDelivery,
  accountSid: string,
  providers: Config['providers'],
): Record<string, string> {
  const sid = messageSid(delivery.messageId);
  const status = twilioStatus(delivery.status);
  const sender = senderOf(delivery, providers);
  const params: Record<string, string> = {
    AccountSid: accountSid,
    ApiVersion: TWILIO_API_VERSION,
    MessageSid: sid,
    MessageStatus: status,
    SmsSid: sid,
    SmsStatus: status,
    To: delivery.to,
  };
  if (sender.from !== null) {
    params['From'] = sender.from;
  }
  if (sender.messaging_service_sid !== null) {
    params['MessagingServiceSid'] = sender.messaging_service_sid;
  }
  if (delivery.code !== null && carriesErrorCode(status)) {
    params['ErrorCode'] = String(twilioError(delivery.code).code);
  }
  return params;
}

/**
 * Returns true for the statuses whose callback carries the change's code as `ErrorCode`. A code on
 * another status is no error, such as `recovered` on a `sent` that start-up recovery wrote.
 */
function carriesErrorCode(status: TwilioMessageStatus): boolean {
  // No default case, so that the compiler reports a status added to TwilioMessageStatus here.
  // Twilio sends ErrorCode with `failed` and `undelivered`.
  switch (status) {
    case 'failed':
    case 'undelivered':
      return true;
    case 'queued':
    case 'sending':
    case 'sent':
    case 'delivered':
      return false;
  }
}

/**
 * Returns the encoder of Twilio's format: the parameters of `statusCallbackParameters`,
 * form-encoded and signed with `X-Twilio-Signature` over the exact stored callback URL. The key is
 * that of the message's principal in `apiKeys` (the client's "auth token"), and the Account SID is
 * that key's `account_sid`, both read when the request is built. A delivery whose principal is no
 * longer configured, or has no `account_sid`, cannot be signed and gives up.
 */
export function twilioCallbackEncoder(
  apiKeys: Config['api_keys'],
  providers: Config['providers'],
): CallbackEncoder {
  const keysByName = new Map(apiKeys.map((entry) => [entry.name, entry]));

  return (delivery) => {
    const apiKey = keysByName.get(delivery.principal);
    if (apiKey?.account_sid === undefined) {
      return {
        ok: false,
        reason: 'signing_key_missing',
        error: `API key "${delivery.principal}" that sent the message is not configured with an account_sid, so its Twilio status callback cannot be signed`,
      };
    }

    const params = statusCallbackParameters(delivery, apiKey.account_sid, providers);
    return {
      ok: true,
      body: Buffer.from(new URLSearchParams(params).toString(), 'utf8'),
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        [TWILIO_SIGNATURE_HEADER]: twilioSignature(apiKey.key, delivery.url, params),
      },
    };
  };
}
