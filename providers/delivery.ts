/**
 * The state of a message at its provider after the provider accepted it, as a status callback or
 * delivery receipt reports it.
 *
 * - `queued`: the provider has the message and has not handed it to a carrier yet.
 * - `sent`: a carrier took the message.
 * - `delivered`: the carrier or handset confirmed delivery.
 * - `undelivered`: the carrier could not deliver it.
 * - `failed`: the provider could not send it at all.
 */
export type DeliveryStatus = 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed';

/**
 * The cause of a failed delivery, from the provider's error code. The class decides whether
 * another provider may deliver the message (see a route's `resend_on`).
 *
 * - `provider_failure`: a carrier, route or platform failure at this provider.
 * - `account_failure`: our account or sender at this provider (suspended, unregistered, quota).
 * - `temporary_failure`: the handset was unreachable for a while (switched off, busy).
 * - `recipient_failure`: the number is invalid, inactive, barred or opted out, at every provider.
 * - `content_failure`: the text was filtered as spam or rejected as invalid.
 * - `unknown_failure`: the code has no row in the provider's table, or the report has no code.
 */
export type DeliveryFailureClass =
  | 'provider_failure'
  | 'account_failure'
  | 'temporary_failure'
  | 'recipient_failure'
  | 'content_failure'
  | 'unknown_failure';

/** Every failure class, in the order the docs list them. */
export const deliveryFailureClasses: readonly DeliveryFailureClass[] = [
  'provider_failure',
  'account_failure',
  'temporary_failure',
  'recipient_failure',
  'content_failure',
  'unknown_failure',
];

/** One status report of one message, parsed from a provider's webhook request. */
export interface DeliveryReport {
  /** The provider's id of the message, as its send response returned it. */
  readonly providerMessageId: string;
  readonly status: DeliveryStatus;
  /** The provider's own status word, such as `undelivered` or `expired`. */
  readonly providerStatus: string;
  /** The provider's error code, such as Twilio `30003` or a Vonage `err-code`; null when none. */
  readonly providerCode: string | null;
  /** For `undelivered` and `failed`: the class of `providerCode`; null otherwise. */
  readonly failureClass: DeliveryFailureClass | null;
}

/** One row of a provider's table of delivery error codes. */
export interface DeliveryCodeRow {
  readonly code: string;
  readonly failureClass: DeliveryFailureClass;
  /** Meaning of the code, in words that are safe to log. */
  readonly meaning: string;
  /** URL of the page the meaning was read from. */
  readonly source: string;
}

/** Returns the class of `code` in `table`, or `unknown_failure` when no row has it. */
export function classifyDeliveryCode(
  table: readonly DeliveryCodeRow[],
  code: string | null,
): DeliveryFailureClass {
  const row = code === null ? undefined : table.find((candidate) => candidate.code === code);
  return row?.failureClass ?? 'unknown_failure';
}

// Provider codes reach the store, responses and logs. Only short codes of letters, digits and a
// few separators pass, as for send errors.
const PROVIDER_CODE = /^[A-Za-z0-9_.:-]{1,32}$/;

/** Returns `code` when it is a short, log-safe provider code, else null. */
export function safeDeliveryCode(code: string | undefined): string | null {
  return code !== undefined && PROVIDER_CODE.test(code) ? code : null;
}

/**
 * Parameters of a webhook request as form fields or JSON members. A form field that repeats keeps
 * every value, as Twilio's signature algorithm needs them all.
 */
export type WebhookParams = Readonly<Record<string, string | readonly string[]>>;

/** Returns the first value of parameter `name`, or undefined. */
export function paramValue(params: WebhookParams, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' ? value : value?.[0];
}

/**
 * The result of reading a webhook request: a report to record, or a reason to acknowledge the
 * request without recording anything (an inbound-message status, say), or a field problem.
 */
export type ParsedDeliveryReport =
  | { readonly kind: 'report'; readonly report: DeliveryReport }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly field: string; readonly message: string };
