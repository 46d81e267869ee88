import { basicAuth, twilioAccount, vonageAccount } from './fake-providers.js';

/** API key of every benchmark gateway; loopback only, never a real credential. */
export const BENCH_API_KEY = 'bench-api-key-0123456789';

/** Environment for the credentials that the generated configs read through `${VAR}`. */
export const benchEnv: Readonly<Record<string, string>> = {
  SMS_RELAY_API_KEY: BENCH_API_KEY,
  SMS_RELAY_ADMIN_TOKEN: 'bench-admin-token-0123456789',
  BENCH_TWILIO_AUTH_TOKEN: twilioAccount.authToken,
  BENCH_VONAGE_API_SECRET: vonageAccount.apiSecret,
};

/** Authorization header that the baseline sends to the fake Twilio API. */
export const twilioAuthorization = basicAuth(twilioAccount.accountSid, twilioAccount.authToken);

export interface GatewayTomlOptions {
  readonly port: number;
  readonly dataDir: string;
  /** Base URLs of the route's providers in priority order; each is a `twilio` provider. */
  readonly twilioUrls?: readonly string[];
  /** Base URL of a `vonage` provider appended to the route after the Twilio ones. */
  readonly vonageUrl?: string;
  readonly attemptTimeoutMs?: number;
  readonly deadlineMs?: number;
  readonly openDurationMs?: number;
}

/**
 * Returns a gateway config in TOML: the shipped defaults of `config/example.toml` except the
 * provider base URLs, the port, the data directory, and the timeouts that a drill overrides.
 */
export function gatewayToml(options: GatewayTomlOptions): string {
  const twilioUrls = options.twilioUrls ?? [];
  const providerIds: string[] = [];
  const providers: string[] = [];
  twilioUrls.forEach((url, index) => {
    const id = `twilio-${index + 1}`;
    providerIds.push(id);
    providers.push(`
[[providers]]
id = "${id}"
type = "twilio"
account_sid = "${twilioAccount.accountSid}"
auth_token = "\${BENCH_TWILIO_AUTH_TOKEN}"
from = "${twilioAccount.from}"
base_url = "${url}"
`);
  });
  if (options.vonageUrl !== undefined) {
    providerIds.push('vonage-1');
    providers.push(`
[[providers]]
id = "vonage-1"
type = "vonage"
api_key = "${vonageAccount.apiKey}"
api_secret = "\${BENCH_VONAGE_API_SECRET}"
from = "${vonageAccount.from}"
base_url = "${options.vonageUrl}"
`);
  }

  return `
data_dir = "${options.dataDir}"

[server]
host = "127.0.0.1"
port = ${options.port}

[logging]
level = "info"

[[api_keys]]
name = "bench"
key = "\${SMS_RELAY_API_KEY}"

[[admin_tokens]]
name = "ops"
token = "\${SMS_RELAY_ADMIN_TOKEN}"

[defaults]
attempt_timeout_ms = ${options.attemptTimeoutMs ?? 5000}

[defaults.breaker]
open_duration_ms = ${options.openDurationMs ?? 300_000}
${providers.join('')}
[routes.default]
providers = [${providerIds.map((id) => `"${id}"`).join(', ')}]
deadline_ms = ${options.deadlineMs ?? 15_000}
`;
}
