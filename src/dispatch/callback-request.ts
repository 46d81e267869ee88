import {
  describeFetchError,
  retryAfterMs,
  signWebhook,
  webhookHeaders,
} from '../escalation/index.js';
import type { CallbackGiveUpReason } from '../events.js';
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
  readonly timeoutMs: number;
  readonly now: () => number;
  /** Aborts the request when the gateway shuts down. */
  readonly signal: AbortSignal;
}

/** The body and headers of one callback request, or why it cannot be built. */
export type CallbackContent =
  | {
      readonly ok: true;
      readonly body: Buffer;
      /** `Content-Type` and the format's signature headers. */
      readonly headers: Readonly<Record<string, string>>;
    }
  | { readonly ok: false; readonly reason: CallbackGiveUpReason; readonly error: string };

/** Builds the request of one callback attempt in one format, at `now` in epoch milliseconds. */
export type CallbackEncoder = (delivery: CallbackDelivery, now: number) => CallbackContent;

/**
 * Returns the encoder of the gateway's own format: the JSON of `callbackBody`, and, when `secret`
 * is defined, a fresh timestamp and its HMAC-SHA256 signature, as the escalation webhook sends.
 */
export function jsonCallbackEncoder(secret: string | undefined): CallbackEncoder {
  return (delivery, now) => {
    const body = callbackBody(delivery);
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (secret !== undefined) {
      const timestamp = Math.floor(now / 1000);
      headers[webhookHeaders.timestamp] = String(timestamp);
      headers[webhookHeaders.signature] = signWebhook(secret, timestamp, body);
    }
    return { ok: true, body, headers };
  };
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
 * POSTs `content` to the delivery's URL with the event id in `X-SMS-Relay-Event-Id`, whatever the
 * format. Redirects are not followed. Resolves with the outcome and never rejects.
 */
export async function postCallback(
  delivery: CallbackDelivery,
  content: { readonly body: Buffer; readonly headers: Readonly<Record<string, string>> },
  options: CallbackPostOptions,
): Promise<CallbackPostResult> {
  const headers: Record<string, string> = {
    'User-Agent': 'sms-relay',
    ...content.headers,
    [webhookHeaders.eventId]: delivery.eventId,
  };

  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers,
      body: content.body,
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
