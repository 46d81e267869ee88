import twilio from 'twilio';

import {
  classifyDeliveryCode,
  paramValue,
  safeDeliveryCode,
  type DeliveryCodeRow,
  type DeliveryStatus,
  type ParsedDeliveryReport,
  type WebhookParams,
} from '../delivery.js';

const CHEKKIT = 'https://help.chekkit.io/article/148-common-sms-mms-error-messages';
const twilioErrorPage = (code: string): string => `https://www.twilio.com/docs/api/errors/${code}`;

/**
 * Twilio error codes that a status callback carries in `ErrorCode` when a message ends
 * `undelivered` or `failed`, with the class of each. Twilio splits and adds codes over time, so a
 * code without a row is `unknown_failure`.
 */
export const twilioDeliveryCodes: readonly DeliveryCodeRow[] = [
  row('30001', 'provider_failure', 'queue overflow', CHEKKIT),
  row('30002', 'account_failure', 'account suspended', CHEKKIT),
  row('30003', 'temporary_failure', 'unreachable destination handset', CHEKKIT),
  row('30004', 'recipient_failure', 'message blocked by the recipient or carrier', '30004'),
  row('30005', 'recipient_failure', 'unknown destination handset', CHEKKIT),
  row('30006', 'recipient_failure', 'landline or unreachable carrier', CHEKKIT),
  row('30007', 'content_failure', 'message filtered as spam or disallowed content', CHEKKIT),
  row('30008', 'provider_failure', 'unknown error from the carrier', CHEKKIT),
  row('30032', 'account_failure', 'toll-free number not verified', '30032'),
  row('30450', 'temporary_failure', 'destination blocked for 15 to 30 minutes', '30450'),
  row('30454', 'account_failure', 'trial account message limit exceeded', '30454'),
  row('63038', 'account_failure', 'daily message limit of the account exceeded', '63038'),
  row('14107', 'recipient_failure', 'reply loop between the two numbers', '14107'),
  row('21610', 'recipient_failure', 'recipient opted out', '21610'),
];

function row(
  code: string,
  failureClass: DeliveryCodeRow['failureClass'],
  meaning: string,
  source: string,
): DeliveryCodeRow {
  const url = source.startsWith('https://') ? source : twilioErrorPage(source);
  return { code, failureClass, meaning, source: url };
}

/**
 * Twilio's message statuses (twilio 6.3.1, `MessageStatus` of the Messages resource) in the
 * gateway's delivery model. `read` comes after `delivered` on channels with read receipts.
 * `canceled` ends a scheduled message that was never sent. Inbound statuses and
 * `partially_delivered` have no entry and are acknowledged without a record.
 */
const statusMap: Readonly<Record<string, DeliveryStatus>> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'queued',
  sent: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

/**
 * Reads a Twilio status callback (form fields `MessageSid`, `MessageStatus`, `ErrorCode`; the
 * older `SmsSid` and `SmsStatus` are accepted as fallbacks).
 */
export function parseTwilioStatusCallback(params: WebhookParams): ParsedDeliveryReport {
  const sid = paramValue(params, 'MessageSid') ?? paramValue(params, 'SmsSid');
  if (sid === undefined || !/^(SM|MM)[0-9a-fA-F]{32}$/.test(sid)) {
    return {
      kind: 'invalid',
      field: 'MessageSid',
      message: 'must be a message SID: "SM" or "MM" followed by 32 hex digits',
    };
  }
  const providerStatus = paramValue(params, 'MessageStatus') ?? paramValue(params, 'SmsStatus');
  if (providerStatus === undefined || providerStatus === '') {
    return { kind: 'invalid', field: 'MessageStatus', message: 'is required' };
  }

  const status = statusMap[providerStatus];
  if (status === undefined) {
    const printable = safeDeliveryCode(providerStatus) ?? 'unreadable';
    return { kind: 'ignored', reason: `Twilio status "${printable}" is not tracked` };
  }
  const providerCode = safeDeliveryCode(paramValue(params, 'ErrorCode'));
  const failed = status === 'undelivered' || status === 'failed';
  return {
    kind: 'report',
    report: {
      providerMessageId: sid,
      status,
      providerStatus,
      providerCode: failed ? providerCode : null,
      failureClass: failed ? classifyDeliveryCode(twilioDeliveryCodes, providerCode) : null,
    },
  };
}

/**
 * Returns true when `signature` (the `X-Twilio-Signature` header) is the HMAC-SHA1 of `url` and
 * the sorted POST parameters under `authToken`. The SDK's `validateRequest` also accepts the URL
 * with and without its default port, as Twilio documents.
 *
 * NOTE: only Auth Token signatures are checked. A webhook signed with a SharedKey (header
 * `X-Twilio-Webhooks-Signature-Settings`) fails, because no SharedKey secret is configured.
 */
export function verifyTwilioSignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  params: WebhookParams,
): boolean {
  if (signature === undefined || signature === '') {
    return false;
  }
  // The SDK reads arrays and strings alike; its parameter type is a plain record.
  return twilio.validateRequest(authToken, signature, url, params as Record<string, unknown>);
}
