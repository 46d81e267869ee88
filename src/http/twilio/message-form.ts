import type { Context } from 'hono';

import type { FieldError } from '../../errors.js';
import type { NormalizeRecipientOptions } from '../../sms/index.js';
import type { AppEnv } from '../context.js';
import { requestFingerprint } from '../idempotency.js';
import { invalidRequest, type MessageRequest } from '../message-request.js';
import {
  checkCallbackCredentials,
  isHttpUrl,
  MAX_CALLBACK_URL_LENGTH,
  toOutboundMessage,
} from '../outbound-message.js';
import { problem } from '../problem.js';
import { parameterErrors } from './form-parameters.js';

/** Maximum `ValidityPeriod` that Twilio accepts, in seconds (10 hours). */
const MAX_VALIDITY_PERIOD_S = 36_000;

const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;

/** Order in which field errors are listed, so that the first one decides the Twilio code. */
const fieldOrder = [
  'To',
  'From',
  'MessagingServiceSid',
  'Body',
  'StatusCallback',
  'ValidityPeriod',
];

/** Reads a form-encoded request body, as Twilio's API takes it. */
export async function readForm(c: Context<AppEnv>): Promise<URLSearchParams> {
  const type = c.req.header('Content-Type') ?? '';
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    throw problem(
      'unsupported_media_type',
      'Send the parameters form-encoded with "Content-Type: application/x-www-form-urlencoded", as Twilio\'s API takes them.',
    );
  }
  return new URLSearchParams(await c.req.text());
}

/** Settings of `parseMessageForm`. */
export interface MessageFormOptions {
  readonly numbers: NormalizeRecipientOptions;
  /** Epoch milliseconds. */
  readonly now: number;
  /** True when the message goes to the async queue; only then does `ValidityPeriod` apply. */
  readonly asyncMode: boolean;
}

/**
 * Validates the parameters of a create-message call and normalizes the message as
 * `POST /v1/messages` does. An empty parameter counts as absent. Throws `GatewayError`
 * `invalid_request` listing every problem, parameter problems first and then by field.
 */
export function parseMessageForm(
  form: URLSearchParams,
  options: MessageFormOptions,
): MessageRequest {
  const errors = parameterErrors(form);
  const value = (name: string): string | undefined => form.get(name) || undefined;
  const to = value('To');
  const body = value('Body');
  const from = value('From');
  const messagingServiceSid = value('MessagingServiceSid');
  const callbackUrl = value('StatusCallback');

  if (to === undefined) {
    errors.push(missing('To', 'send the recipient in E.164 format, such as +14155550100'));
  }
  if (body === undefined) {
    errors.push(missing('Body', 'send the text of the message'));
  }
  checkSender(from, messagingServiceSid, errors);
  checkCallbackUrl(callbackUrl, errors);
  const validitySeconds = parseValidityPeriod(value('ValidityPeriod'), errors);
  const message =
    to === undefined || body === undefined
      ? undefined
      : toOutboundMessage(
          { to, body, from, callbackUrl },
          { to: 'To', from: 'From', body: 'Body' },
          options.numbers,
          errors,
        );
  if (!message || errors.length > 0) {
    throw invalidRequest(errors.sort((a, b) => errorRank(a) - errorRank(b)));
  }

  const expiresAt =
    options.asyncMode && validitySeconds !== undefined
      ? options.now + validitySeconds * 1000
      : undefined;
  // ValidityPeriod goes into the fingerprint as written, so a retry with the same parameters
  // matches although it computes a later expiry.
  const fingerprint = () =>
    requestFingerprint({
      api: 'twilio-2010-04-01',
      to: message.to,
      body: message.body,
      from: message.from,
      messaging_service_sid: messagingServiceSid,
      status_callback: callbackUrl,
      validity_period: validitySeconds,
    });
  // Every message of this API gets Twilio's callback format, because its client wrote its
  // StatusCallback handler for Twilio's requests.
  return {
    message: { ...message, callbackFormat: 'twilio' },
    segments: message.segments,
    mode: undefined,
    expiresAt,
    fingerprint,
  };
}

function checkSender(
  from: string | undefined,
  messagingServiceSid: string | undefined,
  errors: FieldError[],
): void {
  if (messagingServiceSid !== undefined && !MESSAGING_SERVICE_SID.test(messagingServiceSid)) {
    errors.push({
      path: 'MessagingServiceSid',
      code: 'invalid_value',
      message: 'MessagingServiceSid must be "MG" followed by 32 hex digits',
    });
  }
  if (from === undefined && messagingServiceSid === undefined) {
    errors.push({
      path: 'From',
      code: 'missing_sender',
      message:
        "From or MessagingServiceSid is required; with MessagingServiceSid alone the route's default sender sends the message",
    });
  }
}

function checkCallbackUrl(url: string | undefined, errors: FieldError[]): void {
  if (url === undefined) {
    return;
  }
  if (url.length > MAX_CALLBACK_URL_LENGTH) {
    errors.push({
      path: 'StatusCallback',
      code: 'too_long',
      message: `StatusCallback must be at most ${MAX_CALLBACK_URL_LENGTH} characters`,
    });
  } else if (!isHttpUrl(url)) {
    errors.push({
      path: 'StatusCallback',
      code: 'invalid_value',
      message: 'StatusCallback must be an absolute http or https URL',
    });
  } else {
    checkCallbackCredentials(url, 'StatusCallback', errors);
  }
}

/** Parses `ValidityPeriod`: whole seconds from 1 to 36,000, as Twilio accepts. */
function parseValidityPeriod(text: string | undefined, errors: FieldError[]): number | undefined {
  if (text === undefined) {
    return undefined;
  }
  const seconds = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_VALIDITY_PERIOD_S)) {
    errors.push({
      path: 'ValidityPeriod',
      code: 'invalid_value',
      message: `ValidityPeriod must be whole seconds from 1 to ${MAX_VALIDITY_PERIOD_S}`,
    });
    return undefined;
  }
  return seconds;
}

function missing(name: string, hint: string): FieldError {
  return { path: name, code: 'missing_field', message: `${name} is required; ${hint}` };
}

function errorRank(error: FieldError): number {
  const index = fieldOrder.indexOf(error.path);
  if (error.code.endsWith('_parameter') || index === -1) {
    return 0;
  }
  return 1 + index;
}
