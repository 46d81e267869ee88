import { createHash } from 'node:crypto';

import type { Context } from 'hono';

import { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { StoredResponse } from '../store/index.js';
import type { AppEnv } from './context.js';
import { POSSIBLE_DUPLICATE_HEADER } from './twilio/resource.js';

/** The request header that carries the client's idempotency key. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** Response headers that a replay repeats; the others belong to the new request. */
const replayedHeaders = [
  'content-type',
  'retry-after',
  'location',
  POSSIBLE_DUPLICATE_HEADER.toLowerCase(),
];

// Visible ASCII only, so that a key compares byte for byte; up to 255 characters, as Stripe allows.
const keyPattern = /^[\x21-\x7e]{1,255}$/;

/** The idempotency key of one request, claimed in the store. */
export interface ClaimedKey {
  readonly key: string;
  /** Stores `response` for later retries and returns it unchanged. */
  complete(response: Response): Promise<Response>;
  /** Frees the key, for a request that ended before any provider was called. */
  release(): Promise<void>;
}

/** The decision of `claimIdempotencyKey`. */
export type KeyDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'claimed'; readonly claimed: ClaimedKey }
  | { readonly kind: 'replay'; readonly response: Response };

/**
 * Claims the request's `Idempotency-Key`, if it has one, for message `messageId`. Returns the
 * stored response of an earlier request with the same key and body as a replay.
 *
 * @throws GatewayError `invalid_request` for a malformed key, `idempotency_key_mismatch` (422)
 *   when the key was used with another body, `idempotency_key_in_use` (409) while the first
 *   request with this key has not finished.
 */
export async function claimIdempotencyKey(
  c: Context<AppEnv>,
  gateway: Gateway,
  request: { readonly fingerprint: () => string; readonly messageId: string },
): Promise<KeyDecision> {
  const key = c.req.header(IDEMPOTENCY_HEADER);
  if (key === undefined) {
    return { kind: 'none' };
  }
  if (!keyPattern.test(key)) {
    throw new GatewayError('invalid_request', {
      detail: `${IDEMPOTENCY_HEADER} must be 1 to 255 visible ASCII characters, such as a UUID.`,
      errors: [
        {
          path: IDEMPOTENCY_HEADER,
          code: 'invalid_idempotency_key',
          message: 'must be 1 to 255 visible ASCII characters',
        },
      ],
    });
  }

  const principal = c.get('principal');
  const now = gateway.now();
  const { store } = gateway;
  const claim = await store.claimIdempotencyKey({
    principal,
    key,
    fingerprint: request.fingerprint(),
    messageId: request.messageId,
    now,
    expiresAt: now + gateway.config.store.idempotency_ttl_ms,
  });

  switch (claim.kind) {
    case 'claimed':
      return {
        kind: 'claimed',
        claimed: {
          key,
          complete: async (response) => {
            await store.completeIdempotencyKey(principal, key, await storable(response));
            return response;
          },
          release: () => store.releaseIdempotencyKey(principal, key),
        },
      };
    case 'completed':
      c.set('messageId', claim.messageId);
      c.set('outcome', 'idempotent_replay');
      return { kind: 'replay', response: replay(c, claim.response) };
    case 'mismatch':
      throw new GatewayError('idempotency_key_mismatch', {
        detail: `This ${IDEMPOTENCY_HEADER} was used with a different request; use a new key for a new message.`,
      });
    case 'in_progress':
      throw new GatewayError('idempotency_key_in_use', {
        detail: claim.interrupted
          ? `The first request with this ${IDEMPOTENCY_HEADER} was interrupted by a restart and may have been sent; GET /v1/messages/${claim.messageId} shows its state.`
          : `The first request with this ${IDEMPOTENCY_HEADER} is still running; retry once it has finished.`,
        extensions: { message_id: claim.messageId },
      });
  }
}

/**
 * Returns the hash that identifies a request body: SHA-256 over its fields with sorted keys, so
 * that key order and absent optional fields do not matter.
 */
export function requestFingerprint(fields: Readonly<Record<string, unknown>>): string {
  const sorted = Object.keys(fields)
    .sort()
    .filter((name) => fields[name] !== undefined)
    .map((name) => [name, fields[name]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

/**
 * Frees the idempotency key of a request that failed before its message was written, because
 * then no provider was called. A key whose message exists stays bound, so a retry cannot send
 * the message twice. A failure here leaves the key bound and does not hide the first error.
 */
export async function releaseUnwritten(
  gateway: Gateway,
  claimed: ClaimedKey | undefined,
  principal: string,
  messageId: string,
): Promise<void> {
  if (!claimed) {
    return;
  }
  try {
    if (!(await gateway.store.getMessage(principal, messageId))) {
      await claimed.release();
    }
  } catch {
    // The dispatch error is rethrown by the caller and logged as the request's failure.
  }
}

async function storable(response: Response): Promise<StoredResponse> {
  const headers: Record<string, string> = {};
  for (const name of replayedHeaders) {
    const value = response.headers.get(name);
    if (value !== null) {
      headers[name] = value;
    }
  }
  return { status: response.status, headers, body: await response.clone().text() };
}

function replay(c: Context<AppEnv>, stored: StoredResponse): Response {
  for (const [name, value] of Object.entries(stored.headers)) {
    c.header(name, value);
  }
  c.header('Idempotent-Replayed', 'true');
  return c.body(stored.body, stored.status as 200);
}
