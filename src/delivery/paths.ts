import type { ProviderType } from '../../providers/registry.js';

/** Paths of the gateway's delivery webhooks, below `server.public_base_url`. */
export const deliveryWebhookPaths = {
  twilio: '/webhooks/twilio/status',
  vonage: '/webhooks/vonage/dlr',
  /** Alias of `vonage`, for accounts already configured with this path. */
  vonageAlias: '/webhooks/vonage/status',
} as const;

/** Builds the status callback URL of one attempt of one message. */
export type StatusCallbackUrlBuilder = (messageId: string, attempt: number) => string;

/** Query parameters of a Twilio callback URL that name the gateway's message and attempt. */
export const attemptQuery = { messageId: 'message_id', attempt: 'attempt' } as const;

/**
 * Returns the builder of the URLs a provider of `type` should post its status reports to, or
 * undefined when no public base URL is configured or the type sends no reports (the simulator).
 *
 * A Twilio URL names the message and attempt in its query string. Twilio signs the whole URL, so
 * the gateway can trust them and match a callback to an attempt whose response it never read
 * (an attempt that timed out, say). A Vonage URL carries no query, because a receipt sent by GET
 * would mix it with the receipt's own signed parameters.
 */
export function statusCallbackUrls(
  publicBaseUrl: string | undefined,
  type: ProviderType,
): StatusCallbackUrlBuilder | undefined {
  if (publicBaseUrl === undefined || type === 'simulator') {
    return undefined;
  }
  const url = `${publicBaseUrl}${deliveryWebhookPaths[type]}`;
  if (type === 'vonage') {
    return () => url;
  }
  return (messageId, attempt) => {
    const query = new URLSearchParams({
      [attemptQuery.messageId]: messageId,
      [attemptQuery.attempt]: String(attempt),
    });
    return `${url}?${query.toString()}`;
  };
}
