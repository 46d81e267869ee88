import type { RejectionCode } from '../providers/contract.js';

/** Every stable problem code the HTTP API returns, with its HTTP status and title. */
export const problemCodes = {
  invalid_request: { status: 400, title: 'Invalid request' },
  unknown_route: { status: 400, title: 'Unknown route' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  invalid_signature: { status: 403, title: 'Invalid signature' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  invalid_recipient: { status: 422, title: 'Invalid recipient' },
  recipient_opted_out: { status: 422, title: 'Recipient opted out' },
  recipient_unreachable: { status: 422, title: 'Recipient unreachable' },
  content_rejected: { status: 422, title: 'Content rejected' },
  message_rejected: { status: 422, title: 'Message rejected' },
  not_a_simulator: { status: 409, title: 'Not a simulator' },
  idempotency_key_in_use: { status: 409, title: 'Idempotency key in use' },
  idempotency_key_mismatch: { status: 422, title: 'Idempotency key mismatch' },
  internal_error: { status: 500, title: 'Internal error' },
  all_providers_failed: { status: 502, title: 'All providers failed' },
  outcome_unknown: { status: 502, title: 'Outcome unknown' },
  no_provider_available: { status: 503, title: 'No provider available' },
  shutting_down: { status: 503, title: 'Shutting down' },
  deadline_exceeded: { status: 504, title: 'Deadline exceeded' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof problemCodes;

/** Maps a provider's rejection to the problem code the client receives. */
export const rejectionProblem: Record<RejectionCode, ProblemCode> = {
  invalid_recipient: 'invalid_recipient',
  recipient_opted_out: 'recipient_opted_out',
  recipient_unreachable: 'recipient_unreachable',
  content_rejected: 'content_rejected',
  invalid_request: 'message_rejected',
};

/** One field-level problem of a rejected request. */
export interface FieldError {
  /** JSON path of the field, such as `to` or `body`; empty for the whole body. */
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/** Fields of a `GatewayError`. */
export interface GatewayErrorInit {
  readonly detail: string;
  readonly errors?: readonly FieldError[];
  /** Extra members of the problem document, such as `attempts`. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/**
 * The one error type that becomes an HTTP problem response. `detail` is shown to the client, so
 * it never holds internal messages, secrets, phone numbers or message text.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly status: number;
  readonly errors: readonly FieldError[] | undefined;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: ProblemCode,
    init: GatewayErrorInit,
  ) {
    super(init.detail, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = problemCodes[code].status;
    this.errors = init.errors;
    this.extensions = init.extensions ?? {};
    this.headers = init.headers ?? {};
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}
