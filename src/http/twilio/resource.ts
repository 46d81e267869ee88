import type { Config } from '../../config/index.js';
import { problemCodes, type ProblemCode } from '../../errors.js';
import type { MessageStatus, MessageSummary, StoredMessage } from '../../store/index.js';
import { problemTwilioErrors } from './errors.js';
import { messageSid } from './sid.js';

/** The API version in Twilio's paths and resources. */
export const TWILIO_API_VERSION = '2010-04-01';

/**
 * Response header set to `true` on a Message resource whose message may have been sent twice (an
 * ambiguous attempt, then failover). Twilio's resource has no field for it, so `/v1`'s
 * `possible_duplicate` goes here.
 */
export const POSSIBLE_DUPLICATE_HEADER = 'X-SMS-Relay-Possible-Duplicate';

/** The Message statuses of Twilio's API that the gateway's statuses map onto. */
export type TwilioMessageStatus =
  'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed';

/** A Message resource as Twilio's 2010-04-01 API writes it, with snake_case keys. */
export interface MessageResource {
  readonly account_sid: string;
  readonly api_version: typeof TWILIO_API_VERSION;
  readonly body: string;
  /** RFC 2822 in GMT, as in `Thu, 30 Jul 2015 20:12:31 +0000`. */
  readonly date_created: string;
  readonly date_sent: string | null;
  readonly date_updated: string;
  readonly direction: 'outbound-api';
  readonly error_code: number | null;
  readonly error_message: string | null;
  readonly from: string | null;
  readonly messaging_service_sid: string | null;
  readonly num_media: '0';
  readonly num_segments: string;
  readonly price: null;
  readonly price_unit: null;
  readonly sid: string;
  readonly status: TwilioMessageStatus;
  readonly subresource_uris: { readonly media: string };
  readonly to: string;
  readonly uri: string;
}

/** Values of a Message resource that the stored message does not contain. */
export interface ResourceContext {
  /** Account SID of the API key that owns the message. */
  readonly accountSid: string;
  readonly providers: Config['providers'];
}

/** Returns the path of the Messages list of account `accountSid`, without `.json`. */
export function messagesPath(accountSid: string): string {
  return `/${TWILIO_API_VERSION}/Accounts/${accountSid}/Messages`;
}

/**
 * Returns the Message resource of a stored message. `num_segments` is the gateway's own count,
 * so that it is the same in every response about the message.
 */
export function messageResource(message: StoredMessage, context: ResourceContext): MessageResource {
  const sid = messageSid(message.id);
  const path = `${messagesPath(context.accountSid)}/${sid}`;
  const sentAt = message.history.find((change) => change.status === 'sent')?.at;

  return {
    account_sid: context.accountSid,
    api_version: TWILIO_API_VERSION,
    body: message.body,
    date_created: rfc2822(message.createdAt),
    date_sent: sentAt === undefined ? null : rfc2822(sentAt),
    date_updated: rfc2822(message.updatedAt),
    direction: 'outbound-api',
    ...messageError(message.code),
    ...senderOf(message, context.providers),
    num_media: '0',
    num_segments: String(message.segments),
    price: null,
    price_unit: null,
    sid,
    status: twilioStatus(message.status),
    subresource_uris: { media: `${path}/Media.json` },
    to: message.to,
    uri: `${path}.json`,
  };
}

/** Maps a message status onto Twilio's name for it. */
export function twilioStatus(status: MessageStatus): TwilioMessageStatus {
  // No default case, so that the compiler reports a status added to MessageStatus without a
  // Twilio name here. Twilio spells delivery receipt states `delivered` and `undelivered`.
  switch (status) {
    case 'queued':
      return 'queued';
    case 'sending':
      return 'sending';
    case 'sent':
      return 'sent';
    case 'delivered':
      return 'delivered';
    case 'undelivered':
      return 'undelivered';
    case 'rejected':
    case 'failed':
      return 'failed';
  }
}

/** Codes that a message can end with besides problem codes, with their Twilio error. */
const endStateErrors: Readonly<Record<string, { code: number; message: string }>> = {
  expired: { code: 30036, message: 'Validity period expired' },
  interrupted: { code: 20500, message: 'Interrupted by a gateway restart' },
  // Delivery failure classes from provider receipts, with the closest Twilio 30xxx code.
  provider_failure: { code: 30008, message: 'Unknown error' },
  account_failure: { code: 30002, message: 'Account suspended' },
  temporary_failure: { code: 30003, message: 'Unreachable destination handset' },
  recipient_failure: { code: 30005, message: 'Unknown destination handset' },
  content_failure: { code: 30007, message: 'Message filtered' },
  unknown_failure: { code: 30008, message: 'Unknown error' },
};

/** Returns `error_code` and `error_message` for the code that a message ended with. */
function messageError(code: string | null) {
  if (code === null) {
    return { error_code: null, error_message: null };
  }
  const error = twilioError(code);
  return { error_code: error.code, error_message: error.message };
}

/**
 * Returns the Twilio error code and a short text for the code that a message ended with: the
 * code of a problem code, 30036 for `expired`, the closest 30xxx code for a delivery failure
 * class, and 20500 for anything else.
 */
export function twilioError(code: string): { code: number; message: string } {
  if (Object.hasOwn(problemCodes, code)) {
    const problem = code as ProblemCode;
    return { code: problemTwilioErrors[problem].code, message: problemCodes[problem].title };
  }
  return endStateErrors[code] ?? { code: 20500, message: code };
}

/**
 * Returns `from` and `messaging_service_sid`: the message's sender override, else the sender
 * configured on the provider that sent or rejected it. Both are null while no provider took it.
 */
export function senderOf(
  message: Pick<MessageSummary, 'from' | 'provider'>,
  providers: Config['providers'],
) {
  if (message.from !== null) {
    return { from: message.from, messaging_service_sid: null };
  }
  const provider = providers.find((entry) => entry.id === message.provider);
  const options = (provider?.options ?? {}) as { from?: string; messaging_service_sid?: string };
  return {
    from: options.from ?? null,
    messaging_service_sid:
      options.from === undefined ? (options.messaging_service_sid ?? null) : null,
  };
}

/** Formats epoch milliseconds as Twilio writes dates: RFC 2822 in GMT with `+0000`. */
export function rfc2822(epochMs: number): string {
  return new Date(epochMs).toUTCString().replace(/ GMT$/, ' +0000');
}
