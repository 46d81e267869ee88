import type { OutboundMessage } from '../dispatch/dispatcher.js';
import type { FieldError } from '../errors.js';
import {
  countSegments,
  MAX_BODY_LENGTH,
  normalizeRecipient,
  normalizeSender,
  type NormalizeRecipientOptions,
} from '../sms/index.js';

/** Maximum length of a callback URL, in characters. */
export const MAX_CALLBACK_URL_LENGTH = 2048;

/** Returns true when `text` is an absolute `http:` or `https:` URL, as a callback URL must be. */
export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Appends an error to `errors` when the callback URL `text` contains a user name or password.
 * Node's fetch rejects such URLs, so every callback to it would fail. `field` is the request's
 * name of the URL field.
 */
export function checkCallbackCredentials(text: string, field: string, errors: FieldError[]): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return;
  }
  if (url.username === '' && url.password === '') {
    return;
  }

  errors.push({
    path: field,
    code: 'credentials_in_url',
    message: `${field} must not contain a user name or password, because the gateway cannot send credentials in a callback URL; put a secret token in the query string instead and verify the request's signature`,
  });
}

/** The fields of one message as the client sent them, before normalization. */
export interface MessageFields {
  readonly to: string;
  readonly body: string;
  readonly from?: string | undefined;
  readonly route?: string | undefined;
  readonly reference?: string | undefined;
  readonly callbackUrl?: string | undefined;
}

/** The request's names of the fields that `toOutboundMessage` reports problems on. */
export interface FieldNames {
  readonly to: string;
  readonly from: string;
  readonly body: string;
}

/**
 * Normalizes the recipient and sender of a message and checks its body. Appends one `FieldError`
 * per problem to `errors`, on the field names in `names`, and returns undefined when it found any.
 */
export function toOutboundMessage(
  fields: MessageFields,
  names: FieldNames,
  numbers: NormalizeRecipientOptions,
  errors: FieldError[],
): OutboundMessage | undefined {
  const { body } = fields;
  const found = errors.length;
  const recipient = normalizeRecipient(fields.to, numbers);
  if (!recipient.ok) {
    errors.push({ path: names.to, code: recipient.code, message: recipient.message });
  }
  const sender = fields.from === undefined ? undefined : normalizeSender(fields.from);
  if (sender && !sender.ok) {
    errors.push({ path: names.from, code: sender.code, message: sender.message });
  }
  const length = [...body].length;
  if (body.trim() === '') {
    errors.push({
      path: names.body,
      code: 'body_empty',
      message: `${names.body} must contain text, not only white space`,
    });
  }
  if (length > MAX_BODY_LENGTH) {
    errors.push({
      path: names.body,
      code: 'body_too_long',
      message: `${names.body} must be at most ${MAX_BODY_LENGTH} characters, got ${length}`,
    });
  }
  if (!recipient.ok || errors.length > found) {
    return undefined;
  }

  const { encoding, segments } = countSegments(body);
  return {
    to: recipient.e164,
    callingCode: recipient.countryCallingCode,
    body,
    encoding,
    segments,
    ...(sender?.ok ? { from: sender.sender } : {}),
    ...(fields.route === undefined ? {} : { route: fields.route }),
    ...(fields.reference === undefined ? {} : { reference: fields.reference }),
    ...(fields.callbackUrl === undefined ? {} : { callbackUrl: fields.callbackUrl }),
  };
}
