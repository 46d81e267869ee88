import type { ProviderType } from '../../providers/registry.js';

/** Paths of the gateway's delivery webhooks, below `server.public_base_url`. */
export const deliveryWebhookPaths = {
  twilio: '/webhooks/twilio/status',
  vonage: '/webhooks/vonage/dlr',
  /** Alias of `vonage`, for accounts already configured with this path. */
  vonageAlias: '/webhooks/vonage/status',
} as const;

/**
 * Returns the URL a provider of `type` should post its status reports to for each message, or
 * undefined when no public base URL is configured or the type sends no reports (the simulator).
 */
export function statusCallbackUrl(
  publicBaseUrl: string | undefined,
  type: ProviderType,
): string | undefined {
  if (publicBaseUrl === undefined || type === 'simulator') {
    return undefined;
  }
  return `${publicBaseUrl}${deliveryWebhookPaths[type]}`;
}
