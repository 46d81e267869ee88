import {
  describeFetchError,
  retryAfterMs,
  signWebhook,
  webhookHeaders,
} from '../escalation/index.js';
import type { CallbackDelivery } from '../store/index.js';

/** The outcome of one POST of a status callback. */
export type CallbackPostResult =
  | { readonly ok: true; readonly httpStatus: number }
  | {
      readonly ok: false;
      /** True for 408, 429, 5xx, a timeout and a network error. */
      readonly retryable: boolean;
      /** Log-safe description, without the URL, which may carry a token. */
      readonly error: string;
      readonly httpStatus: number | null;
      /** The receiver's `Retry-After`, when it sent one with a retryable status. */
      readonly retryAfterMs?: number;
    };

/** Settings of one POST. */
export interface CallbackPostOptions {
  /** HMAC key of the signature; the request is unsigned without one. */
  readonly secret: string | undefined;
  readonly timeoutMs: number;
  readonly now: () => number;
  /** Aborts the request when the gateway shuts down. */
  readonly signal: AbortSignal;
}

/**
 * Returns the JSON body of a delivery. It is built from stored fields only, so every attempt,
 * before and after a restart, sends the same bytes.
 */
export function callbackBody(delivery: CallbackDelivery): Buffer {
  return Buffer.from(
    JSON.stringify({
      event: 'message.status',
      event_id: delivery.eventId,
      message_id: delivery.messageId,
      status: delivery.status,
      code: delivery.code,
      provider: delivery.provider,
      provider_message_id: delivery.providerMessageId,
      possible_duplicate: delivery.possibleDuplicate,
      reference: delivery.reference,
      at: new Date(delivery.changedAt).toISOString(),
    }),
    'utf8',
  );
}

/**
 * POSTs `body` to the delivery's URL with the headers of the escalation webhook: the event id,
 * and, when a secret is configured, a fresh timestamp and its HMAC-SHA256 signature. Redirects are
 * not followed. Resolves with the outcome and never rejects.
 */
export async function postCallback(
  delivery: CallbackDelivery,
  body: Buffer,
  options: CallbackPostOptions,
): Promise<CallbackPostResult> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'sms-relay',
    [webhookHeaders.eventId]: delivery.eventId,
  };
  if (options.secret !== undefined) {
    const timestamp = Math.floor(options.now() / 1000);
    headers[webhookHeaders.timestamp] = String(timestamp);
    headers[webhookHeaders.signature] = signWebhook(options.secret, timestamp, body);
  }

  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.any([timeout, options.signal]),
    });
    // Only the status matters; release the connection without reading the body.
    await response.body?.cancel().catch(() => undefined);
    return classifyResponse(response, options.now());
  } catch (error) {
    return {
      ok: false,
      retryable: true,
      error: describeFetchError(error, options.timeoutMs, timeout.aborted),
      httpStatus: null,
    };
  }
}

/** Classifies a response: 2xx is delivered; 408, 429 and 5xx are retried; the rest are final. */
function classifyResponse(response: Response, now: number): CallbackPostResult {
  const { status } = response;
  if (status >= 200 && status < 300) {
    return { ok: true, httpStatus: status };
  }

  const retryable = status === 408 || status === 429 || status >= 500;
  const wait = retryable ? retryAfterMs(response.headers.get('retry-after'), now) : undefined;
  return {
    ok: false,
    retryable,
    error: `HTTP ${status}`,
    httpStatus: status,
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
  };
}
