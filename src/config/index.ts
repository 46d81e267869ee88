export { DEV_ADMIN_TOKEN, DEV_API_KEY } from './access-schema.js';
export {
  configWarnings,
  usesDevelopmentAdminToken,
  usesDevelopmentApiKey,
  type ConfigWarning,
} from './checks.js';
export { booleanWords } from './env-values.js';
export { ConfigError, formatIssue, isConfigError, type ConfigIssue } from './errors.js';
export type { Env } from './interpolate.js';
export { DEFAULT_CONFIG_PATH, loadConfig, parseConfig, type LoadConfigOptions } from './load.js';
export {
  escalationChannels,
  subjectPlaceholders,
  type EscalationChannelName,
  type EscalationSettings,
} from './escalation-schema.js';
export { DEFAULT_ROUTE } from './route-schema.js';
export {
  configSchema,
  logLevels,
  type BreakerConfig,
  type Config,
  type EmailConfig,
  type EscalationConfig,
  type ProviderConfig,
  type RetryConfig,
  type RouteConfig,
  type WebhookConfig,
} from './schema.js';
