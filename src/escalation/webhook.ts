import { createHmac } from 'node:crypto';

import type { WebhookConfig } from '../config/index.js';
import type { Attempt, AttemptResult, ChannelTransport } from './delivery.js';
import { eventRecord } from './record.js';
import type { EscalationEvent } from './types.js';

/** Request headers of a webhook delivery. */
export const webhookHeaders = {
  eventId: 'X-SMS-Relay-Event-Id',
  timestamp: 'X-SMS-Relay-Timestamp',
  signature: 'X-SMS-Relay-Signature',
} as const;

/**
 * Returns the `X-SMS-Relay-Signature` value: `v1=` and the hex HMAC-SHA256, keyed with `secret`,
 * of the Unix timestamp in seconds, a dot, and the exact body bytes.
 */
export function signWebhook(secret: string, timestamp: number, body: Buffer): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(body);
  return `v1=${hmac.digest('hex')}`;
}

/** Parses `Retry-After` as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) {
    return undefined;
  }
  if (/^\s*\d+\s*$/.test(header)) {
    return Number(header) * 1000;
  }
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Classifies a webhook response. 2xx is delivered, and 408, 429 and 5xx are retried. Any other
 * status (a 4xx, or a redirect, which is not followed) means the receiver will not take the event.
 */
function classifyStatus(response: Response, now: number): AttemptResult {
  const { status } = response;
  if (status >= 200 && status < 300) {
    return { ok: true };
  }

  const retryable = status === 408 || status === 429 || status >= 500;
  const wait = retryable ? retryAfterMs(response.headers.get('retry-after'), now) : undefined;
  return {
    ok: false,
    retryable,
    error: `HTTP ${status}`,
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
  };
}

/** Describes a failed request without its URL, which may carry a token in its path or query. */
export function describeFetchError(error: unknown, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) {
    return `request timed out after ${timeoutMs} ms`;
  }
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code !== undefined) {
    return `request failed: ${code}`;
  }
  if (typeof cause?.message === 'string' && cause.message !== '') {
    return `request failed: ${withoutUrls(cause.message)}`;
  }
  if (error instanceof Error && error.message !== '') {
    return `request failed: ${error.name}: ${withoutUrls(error.message)}`;
  }
  return `request failed: ${error instanceof Error ? error.name : typeof error}`;
}

/**
 * Removes every URL from an error message. Fetch quotes the URL in some messages ("Request cannot
 * be constructed from a URL that includes credentials: http://user:pw@host/"), and a URL can carry
 * a password or a token.
 */
function withoutUrls(message: string): string {
  return message.replace(/:?\s*[a-z][a-z0-9+.-]*:\/\/\S*/gi, '');
}

/**
 * The webhook channel: a JSON `POST` of the event, signed with HMAC-SHA256. The body is
 * serialized once per event, so every retry sends identical bytes and the same event id. Each
 * retry is signed again with a fresh timestamp.
 */
export class WebhookChannel implements ChannelTransport {
  readonly name = 'webhook';
  readonly retry: WebhookConfig['retry'];

  constructor(
    private readonly config: WebhookConfig,
    private readonly now: () => number,
  ) {
    this.retry = config.retry;
  }

  prepare(event: EscalationEvent): Attempt {
    const record = eventRecord(event, this.config.include_full_recipient);
    const body = Buffer.from(JSON.stringify(record), 'utf8');
    return (signal) => this.#post(event.event_id, body, signal);
  }

  async #post(eventId: string, body: Buffer, signal: AbortSignal): Promise<AttemptResult> {
    const { timeout_ms: timeoutMs, secret, url } = this.config;
    const timestamp = Math.floor(this.now() / 1000);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });

    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'sms-relay',
          [webhookHeaders.eventId]: eventId,
          [webhookHeaders.timestamp]: String(timestamp),
          [webhookHeaders.signature]: signWebhook(secret, timestamp, body),
        },
        body,
        redirect: 'manual',
        signal: controller.signal,
      });
      // Only the status matters; release the connection without reading the body.
      await response.body?.cancel().catch(() => undefined);
      return classifyStatus(response, this.now());
    } catch (error) {
      return { ok: false, retryable: true, error: describeFetchError(error, timeoutMs, timedOut) };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
