import type { Context } from 'hono';

import type { FieldError, GatewayError, ProblemCode } from '../../errors.js';
import type { AppEnv } from '../context.js';
import { asGatewayError, PROBLEM_TYPE_BASE } from '../problem.js';
import { messageSid } from './sid.js';

/** An error as Twilio's API reports it: the HTTP status and a Twilio error code. */
export interface TwilioErrorCode {
  readonly status: number;
  readonly code: number;
}

/**
 * The Twilio error for each problem code. Where Twilio has no code that fits, the code is the
 * HTTP status, and `more_info` links to the gateway's problem page instead of Twilio's. Failures
 * of every provider keep the gateway's 5xx status, because it shows a client whether to retry.
 */
export const problemTwilioErrors: Readonly<Record<ProblemCode, TwilioErrorCode>> = {
  invalid_request: { status: 400, code: 400 },
  unknown_route: { status: 400, code: 400 },
  unauthorized: { status: 401, code: 20003 },
  // Twilio lists credentials of another account among the causes of 20003. The status is 403
  // because the credentials themselves are valid.
  forbidden: { status: 403, code: 20003 },
  not_found: { status: 404, code: 20404 },
  // Only the delivery webhooks return it; the Messages API never does.
  invalid_signature: { status: 403, code: 403 },
  method_not_allowed: { status: 405, code: 20004 },
  payload_too_large: { status: 413, code: 413 },
  unsupported_media_type: { status: 415, code: 415 },
  invalid_recipient: { status: 400, code: 21211 },
  recipient_opted_out: { status: 400, code: 21610 },
  recipient_unreachable: { status: 400, code: 21614 },
  // Every provider's content rejection that the gateway classifies is a body over the length limit.
  content_rejected: { status: 400, code: 21617 },
  message_rejected: { status: 400, code: 400 },
  not_a_simulator: { status: 409, code: 409 },
  idempotency_key_in_use: { status: 409, code: 409 },
  idempotency_key_mismatch: { status: 422, code: 422 },
  internal_error: { status: 500, code: 20500 },
  all_providers_failed: { status: 502, code: 20500 },
  outcome_unknown: { status: 502, code: 20500 },
  no_provider_available: { status: 503, code: 20503 },
  shutting_down: { status: 503, code: 20503 },
  deadline_exceeded: { status: 504, code: 20500 },
};

/** Field error codes about a parameter as a whole rather than its value. */
const parameterProblems = new Set([
  'unknown_parameter',
  'unsupported_parameter',
  'repeated_parameter',
]);

/** Returns the Twilio error code of an `invalid_request` problem with one request parameter. */
export function fieldErrorCode(error: FieldError): number {
  if (parameterProblems.has(error.code)) {
    return 400;
  }
  switch (error.path) {
    case 'To':
      return error.code === 'missing_field' ? 21604 : 21211;
    case 'From':
      return error.code === 'missing_sender' ? 21603 : 21212;
    case 'MessagingServiceSid':
      return 21705;
    case 'Body':
      return error.code === 'body_too_long' ? 21617 : 21602;
    case 'StatusCallback':
      return 21609;
    case 'ValidityPeriod':
      return 21624;
    case 'PageToken':
      return 21481;
    default:
      return 400;
  }
}

/**
 * Returns the Twilio error of `problem`. An `invalid_request` takes the code of its first field
 * error, because Twilio reports one problem per response.
 */
export function twilioErrorOf(problem: GatewayError): TwilioErrorCode {
  const mapped = problemTwilioErrors[problem.code];
  const first = problem.errors?.[0];
  if (problem.code === 'invalid_request' && first) {
    return { status: mapped.status, code: fieldErrorCode(first) };
  }
  return mapped;
}

// Codes below this one in `problemTwilioErrors` are HTTP statuses that stand in for a Twilio code.
const FIRST_TWILIO_CODE = 10_000;

/**
 * Builds the error response of the Twilio-compatible API for `error`: Twilio's
 * `{ code, message, more_info, status }` and a `details` object with the gateway's problem code,
 * the request id, the field errors and the message SID when a message was stored. Anything that
 * is not a `GatewayError` becomes a 500 with a generic message.
 */
export function twilioErrorResponse(c: Context<AppEnv>, error: unknown): Response {
  const problem = asGatewayError(error);
  const { status, code } = twilioErrorOf(problem);
  const moreInfo =
    code >= FIRST_TWILIO_CODE
      ? `https://www.twilio.com/docs/errors/${code}`
      : `${PROBLEM_TYPE_BASE}${problem.code}`;
  const body = {
    code,
    message: problem.message,
    more_info: moreInfo,
    status,
    details: errorDetails(problem, c.get('requestId')),
  };

  if (!c.get('outcome')) {
    c.set('outcome', problem.code);
  }
  for (const [name, value] of Object.entries(problem.headers)) {
    c.header(name, value);
  }
  return c.json(body, status as 400);
}

function errorDetails(problem: GatewayError, requestId: string) {
  const { extensions } = problem;
  // Dispatch failures name the stored message `id`; an idempotency conflict names `message_id`.
  const messageId = extensions['id'] ?? extensions['message_id'];
  const copied = ['possible_duplicate', 'escalated_to', 'retry_after'].filter(
    (name) => extensions[name] !== undefined,
  );
  return {
    code: problem.code,
    request_id: requestId,
    ...(problem.errors ? { errors: problem.errors } : {}),
    ...(typeof messageId === 'string' ? { sid: messageSid(messageId) } : {}),
    ...Object.fromEntries(copied.map((name) => [name, extensions[name]])),
  };
}
