import { z } from 'zod';

import type { OutboundMessage } from '../dispatch/dispatcher.js';
import { GatewayError, type FieldError } from '../errors.js';
import type { NormalizeRecipientOptions } from '../sms/index.js';
import { requestFingerprint } from './idempotency.js';
import {
  checkCallbackCredentials,
  isHttpUrl,
  MAX_CALLBACK_URL_LENGTH,
  toOutboundMessage,
  type FieldNames,
} from './outbound-message.js';

const fields = [
  'to',
  'body',
  'from',
  'route',
  'reference',
  'mode',
  'expires_at',
  'callback_url',
] as const;

const messageSchema = z.strictObject({
  to: z.string(),
  body: z.string(),
  from: z.string().optional(),
  route: z.string().min(1).max(64).optional(),
  // The reference is echoed into logs, escalation emails and provider fields, so it may hold no
  // control characters or line breaks.
  reference: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[^\p{Cc}\u2028\u2029]*$/u, 'must not contain control characters or line breaks')
    .optional(),
  mode: z.enum(['sync', 'async']).optional(),
  expires_at: z.string().optional(),
  callback_url: z
    .string()
    .max(MAX_CALLBACK_URL_LENGTH)
    .refine(isHttpUrl, 'must be an absolute http or https URL')
    .optional(),
});

const jsonFieldNames: FieldNames = { to: 'to', from: 'from', body: 'body' };

// RFC 3339 with a mandatory offset, so that a time is never read in the server's time zone.
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/** A parsed `POST /v1/messages` body with its segment estimate. */
export interface MessageRequest {
  readonly message: OutboundMessage;
  readonly segments: number;
  /** The `mode` field; undefined when the body has none, so that `Prefer` decides. */
  readonly mode: 'sync' | 'async' | undefined;
  /** The `expires_at` field in epoch milliseconds. */
  readonly expiresAt: number | undefined;
  /**
   * Computes the hash of the normalized body, which distinguishes a retry from another request
   * with the same key. Only requests with an `Idempotency-Key` need it, so it is computed on call.
   */
  readonly fingerprint: () => string;
}

/**
 * Validates a `POST /v1/messages` body and normalizes its recipient and sender. Throws
 * `GatewayError` `invalid_request` listing every problem field by field.
 */
export function parseMessageRequest(
  input: unknown,
  numbers: NormalizeRecipientOptions,
  now: number = Date.now(),
): MessageRequest {
  // zod 4 leaves `issue.input` out unless asked, and `fieldError` needs it to tell a missing field
  // from one of the wrong type.
  const parsed = messageSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    throw invalidRequest(parsed.error.issues.map(fieldError));
  }

  const { to, body, from, route, reference, mode } = parsed.data;
  const callbackUrl = parsed.data.callback_url;
  const errors: FieldError[] = [];
  const expiresAt = parseExpiry(parsed.data.expires_at, now, errors);
  if (callbackUrl !== undefined) {
    checkCallbackCredentials(callbackUrl, 'callback_url', errors);
  }
  const message = toOutboundMessage(
    { to, body, from, route, reference, callbackUrl },
    jsonFieldNames,
    numbers,
    errors,
  );
  if (!message || errors.length > 0) {
    throw invalidRequest(errors);
  }

  const normalized = {
    to: message.to,
    body,
    from: message.from,
    route,
    reference,
    mode,
    expires_at: expiresAt,
    callback_url: callbackUrl,
  };
  return {
    segments: message.segments,
    mode,
    expiresAt,
    fingerprint: () => requestFingerprint(normalized),
    message,
  };
}

/**
 * Parses `expires_at`: an RFC 3339 time in the future. The route handler rejects it on a sync
 * message, because only it knows whether `Prefer: respond-async` asked for async mode.
 */
function parseExpiry(
  text: string | undefined,
  now: number,
  errors: FieldError[],
): number | undefined {
  if (text === undefined) {
    return undefined;
  }

  const time = rfc3339.test(text) && isCalendarDate(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) {
    errors.push({
      path: 'expires_at',
      code: 'invalid_time',
      message: 'expires_at must be an RFC 3339 time with an offset, such as 2026-01-31T09:00:00Z',
    });
  } else if (time <= now) {
    errors.push({ path: 'expires_at', code: 'in_the_past', message: 'expires_at has passed' });
  }
  return time;
}

/**
 * Returns true when the date part of an RFC 3339 time exists in the calendar. `Date.parse` would
 * roll 2027-02-30 over into March instead of rejecting it.
 */
function isCalendarDate(text: string): boolean {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth;
}

/** Returns the error for an `expires_at` on a message that is sent synchronously. */
export function expiryNeedsAsync(): GatewayError {
  return invalidRequest([
    {
      path: 'expires_at',
      code: 'async_only',
      message:
        'expires_at applies only to async messages; add "mode": "async" or "Prefer: respond-async"',
    },
  ]);
}

/**
 * Returns the error for an `expires_at` more than `maxValidityMs` (the route's maximum validity)
 * after `now`, or undefined when it is within that limit.
 */
export function expiryBeyondLimit(
  expiresAt: number,
  now: number,
  route: string,
  maxValidityMs: number,
): GatewayError | undefined {
  if (expiresAt - now <= maxValidityMs) {
    return undefined;
  }

  const latest = new Date(now + maxValidityMs).toISOString();
  return invalidRequest([
    {
      path: 'expires_at',
      code: 'too_far_in_future',
      message: `expires_at must be at most ${describeDuration(maxValidityMs)} after the request on route "${route}", so no later than ${latest}. Send an earlier time or omit expires_at`,
    },
  ]);
}

/** Returns a duration in whole hours when it is one, such as "72 h (259200000 ms)". */
function describeDuration(ms: number): string {
  const hourMs = 3_600_000;
  return ms % hourMs === 0 ? `${ms / hourMs} h (${ms} ms)` : `${ms} ms`;
}

/** Returns the `invalid_request` error for a body that is not valid JSON. */
export function malformedJson(): GatewayError {
  return invalidRequest([
    { path: '', code: 'malformed_json', message: 'the request body is not valid JSON' },
  ]);
}

/**
 * Returns the `invalid_request` error for `errors`; its detail names the field when there is one
 * problem.
 */
export function invalidRequest(errors: readonly FieldError[]): GatewayError {
  const first = errors[0];
  if (errors.length !== 1 || !first) {
    const detail = `The request has ${errors.length} invalid fields; see "errors".`;
    return new GatewayError('invalid_request', { detail, errors });
  }

  // Messages that start with the field's name already say which field they are about.
  const named =
    first.path === '' || new RegExp(`^${escapeRegExp(first.path)}\\b`).test(first.message);
  const field = named ? '' : `${first.path}: `;
  return new GatewayError('invalid_request', {
    detail: `${field}${asSentence(first.message)}`,
    errors,
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Ends `text` with a full stop unless it already ends with punctuation. */
function asSentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function fieldError(issue: z.core.$ZodIssue): FieldError {
  const path = issue.path.join('.');
  switch (issue.code) {
    case 'unrecognized_keys':
      return {
        path: issue.keys.join(','),
        code: 'unknown_field',
        message: `unknown field ${issue.keys.map((key) => `"${key}"`).join(', ')}; allowed fields are ${fields.join(', ')}`,
      };
    case 'invalid_type': {
      if (issue.input === undefined) {
        return { path, code: 'missing_field', message: `${path} is required` };
      }
      const expected = issue.expected === 'object' ? 'a JSON object' : `a ${issue.expected}`;
      const subject = path || 'the request body';
      return { path, code: 'invalid_type', message: `${subject} must be ${expected}` };
    }
    case 'too_small':
      return { path, code: 'too_short', message: `${path} must not be empty` };
    case 'too_big':
      return {
        path,
        code: 'too_long',
        message: `${path} must be at most ${String(issue.maximum)} characters`,
      };
    default:
      return { path, code: 'invalid_value', message: issue.message };
  }
}
