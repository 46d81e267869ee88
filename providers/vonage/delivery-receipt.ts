import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import {
  classifyDeliveryCode,
  paramValue,
  safeDeliveryCode,
  type DeliveryCodeRow,
  type DeliveryStatus,
  type ParsedDeliveryReport,
  type WebhookParams,
} from '../delivery.js';

const ERROR_CODES =
  'https://api.support.vonage.com/hc/en-us/articles/204014733-Vonage-SMS-Delivery-Error-Codes-and-Descriptions';

/**
 * The `err-code` values of SMS API delivery receipts, 1 to 14 as Vonage documents them, with the
 * class of each. Code 0 means delivered. Codes above 14 have no documented meaning, so they are
 * `unknown_failure`, as is code 1 ("no cause could be determined").
 */
export const vonageDeliveryCodes: readonly DeliveryCodeRow[] = [
  row('1', 'unknown_failure', 'unknown: no cause could be determined'),
  row('2', 'temporary_failure', 'absent subscriber, temporary'),
  row('3', 'recipient_failure', 'absent subscriber, permanent: the number is inactive'),
  row('4', 'recipient_failure', 'call barred by the user'),
  row('5', 'provider_failure', 'portability error'),
  row('6', 'content_failure', 'anti-spam rejection'),
  row('7', 'temporary_failure', 'handset busy'),
  row('8', 'provider_failure', 'network error'),
  row('9', 'recipient_failure', 'illegal number: the user asked not to receive messages'),
  row('10', 'content_failure', 'illegal message, such as a wrong encoding flag'),
  row('11', 'provider_failure', 'unroutable'),
  row('12', 'provider_failure', 'destination unreachable: no route to the number'),
  row('13', 'recipient_failure', 'subscriber age restriction'),
  row('14', 'recipient_failure', 'number blocked by the carrier'),
];

function row(
  code: string,
  failureClass: DeliveryCodeRow['failureClass'],
  meaning: string,
): DeliveryCodeRow {
  return { code, failureClass, meaning, source: ERROR_CODES };
}

/**
 * Vonage's receipt statuses in the gateway's delivery model. `accepted` and `buffered` mean that a
 * carrier has the message. Vonage's `failed` is a carrier that failed to deliver it, so it is
 * `undelivered`, and `rejected` (by Vonage or the carrier) is `failed`. `unknown` has no entry
 * and is acknowledged without a record.
 */
const statusMap: Readonly<Record<string, DeliveryStatus>> = {
  accepted: 'sent',
  buffered: 'sent',
  delivered: 'delivered',
  expired: 'undelivered',
  failed: 'undelivered',
  rejected: 'failed',
};

/**
 * Reads an SMS API delivery receipt (`messageId`, `status`, `err-code`; `message-id` is accepted
 * as a fallback for the id).
 */
export function parseVonageDeliveryReceipt(params: WebhookParams): ParsedDeliveryReport {
  const messageId = paramValue(params, 'messageId') ?? paramValue(params, 'message-id');
  if (messageId === undefined || !/^[0-9A-Za-z-]{1,64}$/.test(messageId)) {
    return {
      kind: 'invalid',
      field: 'messageId',
      message: 'must be the message-id that the SMS API returned: letters, digits or "-"',
    };
  }
  const providerStatus = paramValue(params, 'status');
  if (providerStatus === undefined || providerStatus === '') {
    return { kind: 'invalid', field: 'status', message: 'is required' };
  }

  const status = statusMap[providerStatus];
  if (status === undefined) {
    const printable = safeDeliveryCode(providerStatus) ?? 'unreadable';
    return { kind: 'ignored', reason: `Vonage receipt status "${printable}" is not tracked` };
  }
  const errorCode = safeDeliveryCode(paramValue(params, 'err-code'));
  const failed = status === 'undelivered' || status === 'failed';
  const providerCode = failed && errorCode !== '0' ? errorCode : null;
  return {
    kind: 'report',
    report: {
      providerMessageId: messageId,
      status,
      providerStatus,
      providerCode,
      failureClass: failed ? classifyDeliveryCode(vonageDeliveryCodes, providerCode) : null,
    },
  };
}

/** The signature methods of the Vonage dashboard: an MD5 hash, or an HMAC with one of four hashes. */
export type VonageSignatureMethod = 'md5hash' | 'md5' | 'sha1' | 'sha256' | 'sha512';

export const vonageSignatureMethods = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'] as const;

/** The reason a signed receipt failed verification, in words that are safe to log. */
export type VonageSignatureProblem =
  'missing sig' | 'missing timestamp' | 'timestamp outside the allowed age' | 'signature mismatch';

/**
 * Checks the `sig` of a signed receipt, as @vonage/sms 1.21.0 (`SMS.verifySignature`) does: every
 * parameter except `sig`, sorted by name, joined as `&name=value` with each `&` and `=` inside a
 * value replaced by `_`. The `md5hash` method is the MD5 of that string followed by the secret;
 * the HMAC methods key the hash with the secret. Hex digests compare case-insensitively, in
 * constant time. The receipt's `timestamp` (Unix seconds) must be within `maxAgeMs` of `now` in
 * either direction, so that a captured receipt cannot be replayed later.
 */
export function verifyVonageSignature(
  params: WebhookParams,
  secret: string,
  method: VonageSignatureMethod,
  maxAgeMs: number,
  now: number,
): VonageSignatureProblem | undefined {
  const signature = paramValue(params, 'sig');
  if (signature === undefined || signature === '') {
    return 'missing sig';
  }
  const timestamp = paramValue(params, 'timestamp');
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    return 'missing timestamp';
  }
  if (Math.abs(now - Number(timestamp) * 1000) > maxAgeMs) {
    return 'timestamp outside the allowed age';
  }

  const expected = Buffer.from(vonageSignature(params, secret, method).toLowerCase());
  const received = Buffer.from(signature.toLowerCase());
  const matches = expected.length === received.length && timingSafeEqual(expected, received);
  return matches ? undefined : 'signature mismatch';
}

/** Returns the hex signature of `params` (without `sig`) under `secret` and `method`. */
export function vonageSignature(
  params: WebhookParams,
  secret: string,
  method: VonageSignatureMethod,
): string {
  const signed = Object.keys(params)
    .filter((name) => name !== 'sig')
    .sort()
    .map((name) => `&${name}=${(paramValue(params, name) ?? '').replace(/[&=]/g, '_')}`)
    .join('');
  if (method === 'md5hash') {
    return createHash('md5')
      .update(signed + secret)
      .digest('hex');
  }
  return createHmac(method, secret).update(signed).digest('hex');
}
