import type { Context } from 'hono';

import { GatewayError, problemCodes, type ProblemCode } from '../errors.js';
import type { AppEnv } from './context.js';

/** Prefix of every problem `type` URI; the problem code follows it. */
export const PROBLEM_TYPE_BASE = 'https://sms-relay.dev/problems/';

/**
 * Builds the RFC 9457 problem response for `error`. Errors become HTTP responses here, or in
 * `twilioErrorResponse` for the Twilio-compatible API. Anything that is not a `GatewayError`
 * becomes a 500 with a generic detail.
 */
export function problemResponse(c: Context<AppEnv>, error: unknown): Response {
  const problem = asGatewayError(error);
  const { status, title } = problemCodes[problem.code];
  const body = {
    type: `${PROBLEM_TYPE_BASE}${problem.code}`,
    title,
    status,
    detail: problem.message,
    code: problem.code,
    ...(problem.errors ? { errors: problem.errors } : {}),
    ...problem.extensions,
    request_id: c.get('requestId'),
  };

  if (!c.get('outcome')) {
    c.set('outcome', problem.code);
  }
  for (const [name, value] of Object.entries(problem.headers)) {
    c.header(name, value);
  }
  c.header('Content-Type', 'application/problem+json');
  return c.body(JSON.stringify(body), status as 400);
}

/**
 * Returns `error` when it is a `GatewayError`, else an `internal_error` whose detail reveals
 * nothing of the original error.
 */
export function asGatewayError(error: unknown): GatewayError {
  return error instanceof GatewayError
    ? error
    : new GatewayError('internal_error', {
        detail: 'The gateway failed to handle the request; the error is in its log.',
      });
}

/** Shorthand for a problem with only a code and a detail. */
export function problem(code: ProblemCode, detail: string): GatewayError {
  return new GatewayError(code, { detail });
}
