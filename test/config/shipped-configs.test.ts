import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import {
  configWarnings,
  loadConfig,
  parseConfig,
  usesDevelopmentAdminToken,
  usesDevelopmentApiKey,
  type Config,
} from '../../src/config/index.js';

/** Fake credentials in the formats the adapters check; nothing here reaches a provider. */
const exampleEnv = {
  TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'test-auth-token',
  TWILIO_FROM: '+15005550006',
  VONAGE_API_KEY: 'test-api-key',
  VONAGE_API_SECRET: 'test-api-secret',
  VONAGE_FROM: 'SmsRelay',
  SMS_RELAY_API_KEY: 'example-api-key-0123',
  SMS_RELAY_ADMIN_TOKEN: 'example-admin-token-0123',
};

function loadExample(env: Record<string, string> = {}): Config {
  return loadConfig({ path: 'config/example.toml', env: { ...exampleEnv, ...env }, argv: [] });
}

describe('config/default.toml', () => {
  const config = loadConfig({ path: 'config/default.toml', env: {}, argv: [] });

  it('listens on loopback port 8080', () => {
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.server.port).toBe(8080);
  });

  it('routes over both simulators', () => {
    expect(config.providers.map((provider) => provider.type)).toEqual(['simulator', 'simulator']);
    expect(config.routes['default']?.providers).toEqual(['sim-primary', 'sim-secondary']);
  });

  it('opens the Twilio-compatible API to the development key', () => {
    expect(config.api_keys[0]?.account_sid).toBe(`AC${'0'.repeat(32)}`);
  });

  it('falls back to the development credentials', () => {
    expect(usesDevelopmentApiKey(config)).toBe(true);
    expect(usesDevelopmentAdminToken(config)).toBe(true);
  });

  it('warns about the development credentials', () => {
    const codes = configWarnings(config).map((warning) => warning.code);
    expect(codes).toEqual(['development_api_key', 'development_admin_token']);
  });

  it('takes credentials from the environment', () => {
    const env = {
      SMS_RELAY_API_KEY: 'production-key-0123',
      SMS_RELAY_ADMIN_TOKEN: 'production-admin-token-0123',
    };
    const configured = loadConfig({ path: 'config/default.toml', env, argv: [] });
    expect(usesDevelopmentApiKey(configured)).toBe(false);
    expect(usesDevelopmentAdminToken(configured)).toBe(false);
    expect(configWarnings(configured)).toEqual([]);
  });
});

describe('config/example.toml', () => {
  it('loads with every variable set', () => {
    const config = loadExample();
    expect(config.providers.map((provider) => provider.id)).toEqual(['twilio-main', 'vonage-main']);
    expect(config.routes['default']?.providers).toEqual(['twilio-main', 'vonage-main']);
  });

  it('keeps the Twilio-compatible API closed without SMS_RELAY_ACCOUNT_SID', () => {
    expect(loadExample().api_keys[0]?.account_sid).toBeUndefined();
  });

  it('takes the Account SID from SMS_RELAY_ACCOUNT_SID', () => {
    const sid = `AC${'f'.repeat(32)}`;
    expect(loadExample({ SMS_RELAY_ACCOUNT_SID: sid }).api_keys[0]?.account_sid).toBe(sid);
  });

  it('ships the documented defaults', () => {
    const twilio = loadExample().providers[0];
    expect(twilio?.attempt_timeout_ms).toBe(5000);
    expect(twilio?.retry).toEqual({
      max_attempts: 3,
      initial_backoff_ms: 250,
      max_backoff_ms: 2000,
      budget_ms: 4000,
    });
    expect(twilio?.breaker).toEqual({
      policy: 'consecutive',
      failure_threshold: 3,
      open_duration_ms: 300_000,
      half_open_max_calls: 1,
      success_threshold: 2,
      error_threshold_percentage: 50,
      volume_threshold: 10,
      window_ms: 10_000,
    });
  });

  it('defaults the base URLs to the providers', () => {
    const [twilio, vonage] = loadExample().providers;
    expect(twilio?.options).toMatchObject({ base_url: 'https://api.twilio.com' });
    expect(vonage?.options).toMatchObject({ base_url: 'https://rest.nexmo.com' });
  });

  it('takes base URLs from the environment', () => {
    const config = loadExample({ TWILIO_BASE_URL: 'http://127.0.0.1:4010' });
    expect(config.providers[0]?.options).toMatchObject({ base_url: 'http://127.0.0.1:4010' });
  });

  it('requires the Twilio credentials', () => {
    const env: Record<string, string | undefined> = { ...exampleEnv, TWILIO_AUTH_TOKEN: undefined };
    const load = () => loadConfig({ path: 'config/example.toml', env, argv: [] });
    expect(load).toThrow(/providers\[0\]\.auth_token needs environment variable TWILIO_AUTH_TOKEN/);
  });

  it('drops the admin token when none is set', () => {
    const config = loadExample({ SMS_RELAY_ADMIN_TOKEN: '' });
    expect(config.admin_tokens).toEqual([]);
  });

  it('accepts its commented-out examples', () => {
    // Uncomments every line that is a commented-out table header or key, not prose.
    const text = readFileSync('config/example.toml', 'utf8').replace(
      /^# (\[[a-z_.]+\]|[a-z_]+ = .*)$/gm,
      '$1',
    );
    const env = {
      ...exampleEnv,
      TWILIO_MESSAGING_SERVICE_SID: `MG${'0'.repeat(32)}`,
      SMTP_USERNAME: 'relay',
      SMTP_PASSWORD: 'smtp-password',
      SMS_RELAY_WEBHOOK_SECRET: 'webhook-secret-0123456789',
      VONAGE_SIGNATURE_SECRET: 'vonage-signature-secret',
    };
    const config = parseConfig(text, env, 'example.toml, uncommented');

    expect(config.default_region).toBe('GB');
    expect(config.routes['uk']?.calling_codes).toEqual(['44']);
    expect(config.providers[0]?.retry.max_attempts).toBe(2);
    expect(config.providers[0]?.breaker.open_duration_ms).toBe(60_000);
    expect(config.escalation.email?.port).toBe(587);
    expect(config.escalation.email?.require_tls).toBe(true);
    expect(config.escalation.webhook?.url).toBe('https://hooks.example.com/sms-relay');
    expect(config.server.public_base_url).toBe('https://sms-relay.example.com');
    const vonage = config.providers[1];
    if (vonage?.type !== 'vonage') {
      throw new Error('expected the second provider to be vonage');
    }
    expect(vonage.options.signature_secret).toBe('vonage-signature-secret');
  });

  it('alerts operators through the error log', () => {
    expect(loadExample().escalation.alerts).toEqual({
      channels: ['error_log'],
      repeat_window_ms: 900_000,
    });
  });
});
