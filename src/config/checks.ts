import { DEV_ADMIN_TOKEN, DEV_API_KEY } from './access-schema.js';
import type { Config } from './schema.js';

/** Something in a valid config that an operator should know about at start-up. */
export interface ConfigWarning {
  readonly code:
    | 'development_api_key'
    | 'development_admin_token'
    | 'provider_disabled'
    | 'attempt_timeout_exceeds_deadline'
    | 'deadline_exceeds_shutdown_timeout'
    | 'no_escalation'
    | 'webhook_plain_http'
    | 'final_status_timeout_without_public_url';
  /** Config path of the setting, as in `providers[1].attempt_timeout_ms`. */
  readonly path: string;
  readonly message: string;
}

/** Returns true when an API key is the development key `dev-key`, which anyone can look up. */
export function usesDevelopmentApiKey(config: Config): boolean {
  return config.api_keys.some((entry) => entry.key === DEV_API_KEY);
}

/** Returns true when an admin token is the development token of `config/default.toml`. */
export function usesDevelopmentAdminToken(config: Config): boolean {
  return config.admin_tokens.some((entry) => entry.token === DEV_ADMIN_TOKEN);
}

/**
 * Lists what start-up should log at warn: development credentials in use, disabled providers,
 * attempt timeouts longer than a route's deadline (the deadline cuts such attempts short, so the
 * setting has no effect), routes that escalate to no channel, a webhook that would send message
 * bodies over plain HTTP to another host, and a final-status timeout without callback URLs.
 */
export function configWarnings(config: Config): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];

  config.api_keys.forEach((entry, index) => {
    if (entry.key === DEV_API_KEY) {
      warnings.push({
        code: 'development_api_key',
        path: `api_keys[${index}].key`,
        message:
          `API key "${entry.name}" is the development key "${DEV_API_KEY}". ` +
          'Set SMS_RELAY_API_KEY or configure a key of your own',
      });
    }
  });
  config.admin_tokens.forEach((entry, index) => {
    if (entry.token === DEV_ADMIN_TOKEN) {
      warnings.push({
        code: 'development_admin_token',
        path: `admin_tokens[${index}].token`,
        message:
          `admin token "${entry.name}" is the development token. ` +
          'Set SMS_RELAY_ADMIN_TOKEN or configure a token of your own',
      });
    }
  });

  warnings.push(...providerWarnings(config), ...routeWarnings(config));
  warnings.push(...escalationWarnings(config));
  return warnings;
}

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

function escalationWarnings(config: Config): ConfigWarning[] {
  const webhook = config.escalation.webhook;
  if (webhook === undefined) {
    return [];
  }

  const url = new URL(webhook.url);
  if (url.protocol !== 'http:' || loopbackHosts.has(url.hostname)) {
    return [];
  }
  return [
    {
      code: 'webhook_plain_http',
      path: 'escalation.webhook.url',
      message:
        `the webhook posts message bodies over plain HTTP to ${url.hostname}; ` +
        'use https:// unless the network between them is trusted',
    },
  ];
}

function providerWarnings(config: Config): ConfigWarning[] {
  return config.providers.flatMap((provider, index) =>
    provider.enabled
      ? []
      : [
          {
            code: 'provider_disabled' as const,
            path: `providers[${index}].enabled`,
            message: `provider ${provider.id} is disabled, so no route sends through it`,
          },
        ],
  );
}

function routeWarnings(config: Config): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];

  for (const route of Object.values(config.routes)) {
    if (route.deadline_ms > config.server.shutdown_timeout_ms) {
      warnings.push({
        code: 'deadline_exceeds_shutdown_timeout',
        path: `routes.${route.name}.deadline_ms`,
        message:
          `route ${route.name} allows ${route.deadline_ms} ms per message but shutdown waits only ` +
          `${config.server.shutdown_timeout_ms} ms (server.shutdown_timeout_ms), so a shutdown ` +
          'can cut its messages off unanswered',
      });
    }
    if (
      route.delivery.final_status_timeout_ms !== undefined &&
      config.server.public_base_url === undefined
    ) {
      warnings.push({
        code: 'final_status_timeout_without_public_url',
        path: `routes.${route.name}.delivery.final_status_timeout_ms`,
        message:
          `route ${route.name} resends a message without a final status, but server.public_base_url ` +
          'is not set, so providers get no callback URL. Configure the callback URLs at each ' +
          'provider, or every message on this route is resent after the timeout',
      });
    }
    if (route.escalate.length === 0) {
      warnings.push({
        code: 'no_escalation',
        path: `routes.${route.name}.escalate`,
        message:
          `route ${route.name} escalates to no channel, ` +
          'so a message that every provider failed reaches only the client',
      });
    }

    for (const id of route.providers) {
      const index = config.providers.findIndex((provider) => provider.id === id);
      const timeout = config.providers[index]?.attempt_timeout_ms ?? 0;
      if (timeout > route.deadline_ms) {
        warnings.push({
          code: 'attempt_timeout_exceeds_deadline',
          path: `providers[${index}].attempt_timeout_ms`,
          message:
            `attempt_timeout_ms (${timeout}) of provider ${id} exceeds deadline_ms ` +
            `(${route.deadline_ms}) of route ${route.name}, which ends its attempts first`,
        });
      }
    }
  }

  return warnings;
}
