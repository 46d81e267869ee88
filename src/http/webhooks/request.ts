import type { Context } from 'hono';

import type { ParsedDeliveryReport, WebhookParams } from '../../../providers/delivery.js';
import { attemptQuery } from '../../delivery/paths.js';
import type { DeliveryTracker } from '../../delivery/tracker.js';
import { GatewayError } from '../../errors.js';
import type { AppEnv } from '../context.js';
import { parseWebhookBody } from './body.js';

/**
 * Reads the parameters of a webhook request: the body, read once as bytes and parsed from that
 * buffer (see `parseWebhookBody`), or the query string of a GET. Throws `GatewayError`
 * `invalid_request` or `unsupported_media_type` when the body cannot be read.
 */
export async function readWebhookParams(c: Context<AppEnv>): Promise<WebhookParams> {
  if (c.req.method === 'GET') {
    return Object.fromEntries(new URL(c.req.url).searchParams);
  }

  const bytes = new Uint8Array(await c.req.arrayBuffer());
  const parsed = parseWebhookBody(bytes, c.req.header('Content-Type'));
  if (!parsed.ok) {
    throw new GatewayError(parsed.unsupportedType ? 'unsupported_media_type' : 'invalid_request', {
      detail: parsed.message,
    });
  }
  return parsed.params;
}

/**
 * Returns the URL the provider called, which is what it signed: `server.public_base_url` followed
 * by the request's path and query string as they arrived, when it is configured. Otherwise the
 * request's own origin (scheme and `Host` header) is used. `X-Forwarded-*` headers are never
 * read, because any client can set them.
 */
export function calledUrl(c: Context<AppEnv>, publicBaseUrl: string | undefined): string {
  const url = new URL(c.req.url);
  // The raw request target keeps the query string exactly as the provider sent it, where the
  // parsed URL would re-encode some characters.
  const incoming = (c.env as { incoming?: { url?: unknown } } | undefined)?.incoming;
  const target = typeof incoming?.url === 'string' ? incoming.url : url.pathname + url.search;
  return `${publicBaseUrl ?? url.origin}${target}`;
}

/**
 * Records a parsed report and returns the empty 204 that providers expect. A report the gateway
 * does not track is acknowledged without a record; an invalid one is a 400 naming the field.
 */
export async function acknowledgeReport(
  c: Context<AppEnv>,
  tracker: DeliveryTracker,
  source: string,
  providers: readonly string[],
  parsed: ParsedDeliveryReport,
  attempt?: { readonly messageId: string; readonly number: number },
): Promise<Response> {
  if (parsed.kind === 'invalid') {
    throw new GatewayError('invalid_request', {
      detail: `The ${source} status report is invalid: ${parsed.field} ${parsed.message}.`,
      errors: [{ path: parsed.field, code: 'invalid_field', message: parsed.message }],
    });
  }
  if (parsed.kind === 'ignored') {
    c.set('outcome', 'delivery_report_ignored');
    return c.body(null, 204);
  }

  const outcome = await tracker.record(source, providers, parsed.report, attempt);
  c.set('outcome', `delivery_report_${outcome.kind}`);
  if (outcome.kind === 'recorded') {
    c.set('messageId', outcome.messageId);
  }
  return c.body(null, 204);
}

/**
 * Returns the message and attempt that the query string of a callback URL names (see
 * `statusCallbackUrls`), or undefined when it names none.
 */
export function namedAttempt(
  c: Context<AppEnv>,
): { readonly messageId: string; readonly number: number } | undefined {
  const messageId = c.req.query(attemptQuery.messageId);
  const number = c.req.query(attemptQuery.attempt);
  if (messageId === undefined || messageId === '' || number === undefined) {
    return undefined;
  }
  return /^[1-9]\d{0,5}$/.test(number) ? { messageId, number: Number(number) } : undefined;
}

/** Returns the 403 for a webhook request whose signature or account did not verify. */
export function invalidSignature(detail: string): GatewayError {
  return new GatewayError('invalid_signature', { detail });
}
