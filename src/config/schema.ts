import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { z } from 'zod';

import { adminTokensSchema, apiKeysSchema } from './access-schema.js';
import {
  checkChannelsConfigured,
  configuredChannels,
  escalationSchema,
} from './escalation-schema.js';
import { deepFreeze } from './freeze.js';
import { hostSchema } from './host.js';
import { publicBaseUrlSchema } from './public-base-url.js';
import { buildProvider, providersSchema } from './provider-schema.js';
import { checkBackoffOrder, defaultsSchema, durationMs } from './resilience-schema.js';
import { checkRouteProviders, checkRouteValidity, routesSchema } from './route-schema.js';
import { statusPageSchema } from './status-page-schema.js';
import { callbacksSchema, queueSchema, storeSchema } from './store-schema.js';

/** The levels `[logging] level` accepts, as pino names them. */
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const serverSchema = z
  .strictObject({
    host: hostSchema().default('127.0.0.1'),
    port: z.int().min(1).max(65_535).default(8080),
    // Longer than the default message deadline, so that shutdown lets every sync message finish.
    shutdown_timeout_ms: durationMs(0).default(20_000),
    trust_request_id: z.boolean().default(true),
    /** URL at which providers reach the gateway; enables per-message status callback URLs. */
    public_base_url: publicBaseUrlSchema.optional(),
  })
  .prefault({});

const loggingSchema = z.strictObject({ level: z.enum(logLevels).default('info') }).prefault({});

const regionSchema = z
  .string()
  .refine(
    isSupportedCountry,
    'must be an ISO 3166-1 alpha-2 country code that libphonenumber-js supports, such as "GB"',
  )
  .transform((region) => region as CountryCode);

const documentSchema = z.strictObject({
  number_validation: z.enum(['possible', 'strict']).default('possible'),
  default_region: regionSchema.optional(),
  data_dir: z.string().min(1).default('./data'),
  server: serverSchema,
  logging: loggingSchema,
  api_keys: apiKeysSchema,
  admin_tokens: adminTokensSchema,
  defaults: defaultsSchema,
  providers: providersSchema,
  routes: routesSchema,
  escalation: escalationSchema,
  status_page: statusPageSchema,
  store: storeSchema,
  queue: queueSchema,
  callbacks: callbacksSchema,
});

type ConfigDocument = z.output<typeof documentSchema>;

/** Top-level keys whose values the cross-reference checks read. */
const crossCheckedKeys = new Set([
  'defaults',
  'providers',
  'routes',
  'api_keys',
  'admin_tokens',
  'escalation',
  'queue',
]);

/**
 * Checks the rules that span tables: merged retry settings, route members, admin tokens, and the
 * escalation channels that routes and alerts name.
 */
function checkCrossReferences(
  document: ConfigDocument,
  context: z.core.$RefinementCtx<ConfigDocument>,
): void {
  document.providers.forEach((entry, index) => {
    const issue = checkBackoffOrder(entry.retry ?? {}, document.defaults.retry);
    if (issue !== undefined) {
      const path = ['providers', index, 'retry', issue.key];
      context.addIssue({ code: 'custom', path, message: issue.message });
    }
  });

  const providers = {
    ids: document.providers.map((entry) => entry.id),
    enabled: new Set(document.providers.filter((entry) => entry.enabled).map((entry) => entry.id)),
  };
  for (const [name, route] of Object.entries(document.routes)) {
    checkRouteProviders(name, route, providers, context);
    checkRouteValidity(name, route, document.queue.max_validity_ms, context);
  }

  const channels = configuredChannels(document.escalation);
  for (const [name, route] of Object.entries(document.routes)) {
    checkChannelsConfigured(route.escalate, channels, ['routes', name, 'escalate'], context);
  }
  const alertChannels = document.escalation.alerts.channels;
  checkChannelsConfigured(alertChannels, channels, ['escalation', 'alerts', 'channels'], context);

  const apiKeys = new Set(document.api_keys.map((entry) => entry.key));
  document.admin_tokens.forEach((entry, index) => {
    if (apiKeys.has(entry.token)) {
      context.addIssue({
        code: 'custom',
        path: ['admin_tokens', index, 'token'],
        message: 'must differ from every API key, because it grants admin access',
      });
    }
  });
}

/**
 * Builds the config the gateway runs on: providers with defaults merged in, routes without their
 * disabled providers, admin tokens without empty ones.
 */
function buildConfig(document: ConfigDocument) {
  const providers = document.providers.map((entry) => buildProvider(entry, document.defaults));
  const enabled = new Set(providers.filter((entry) => entry.enabled).map((entry) => entry.id));
  const routes = Object.fromEntries(
    Object.entries(document.routes).map(([name, route]) => [
      name,
      {
        name,
        ...route,
        providers: route.providers.filter((id) => enabled.has(id)),
        async_max_validity_ms: route.async_max_validity_ms ?? document.queue.max_validity_ms,
      },
    ]),
  );

  return deepFreeze({
    ...document,
    admin_tokens: document.admin_tokens.filter((entry) => entry.token !== ''),
    providers,
    routes,
  });
}

/** Issue codes that leave a value's shape intact: failed refinements and unknown extra keys. */
const shapePreservingCodes = new Set(['custom', 'unrecognized_keys']);

/**
 * Returns true when the tables that the cross-reference checks read have the right shape, so one
 * run reports as many problems as it can.
 */
function crossChecksCanRun(payload: z.core.ParsePayload): boolean {
  return payload.issues.every(
    (issue) =>
      shapePreservingCodes.has(issue.code) || !crossCheckedKeys.has(String(issue.path?.[0])),
  );
}

/**
 * The whole config file: strict tables, defaults filled in, cross-references checked. Its output
 * is the deep-frozen `Config`.
 */
export const configSchema = documentSchema
  .superRefine(checkCrossReferences, { when: crossChecksCanRun })
  .transform(buildConfig);

/** The loaded, validated and deep-frozen configuration. */
export type Config = z.output<typeof configSchema>;

/**
 * One `[[providers]]` entry as the gateway uses it: `retry`, `breaker` and `attempt_timeout_ms`
 * with `[defaults]` merged in, and the adapter's own keys (`account_sid`, `mode`, ...) in
 * `options`, typed by `type`. Disabled providers stay in `Config.providers` with `enabled: false`.
 */
export type ProviderConfig = Config['providers'][number];

/** A route: `name`, and `providers` as enabled provider ids in priority order. */
export type RouteConfig = Config['routes'][string];

/** Retry settings of one provider. */
export type RetryConfig = ProviderConfig['retry'];

/** Breaker settings of one provider. */
export type BreakerConfig = ProviderConfig['breaker'];

/** `[escalation]` with defaults filled in. */
export type EscalationConfig = Config['escalation'];

/** `[escalation.email]`: the SMTP server (from `url` or the separate keys) and the mail to send. */
export type EmailConfig = NonNullable<EscalationConfig['email']>;

/** `[escalation.webhook]`: where and how escalation events are posted. */
export type WebhookConfig = NonNullable<EscalationConfig['webhook']>;
