import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig, parseConfig, type Config } from '../../src/config/index.js';

const exampleEnv = {
  TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'test-auth-token',
  TWILIO_FROM: '+15005550006',
  VONAGE_API_KEY: 'test-api-key',
  VONAGE_API_SECRET: 'test-api-secret',
  VONAGE_FROM: 'SmsRelay',
  SMS_RELAY_API_KEY: 'example-api-key-0123',
};

function loadWithVonage(enabled: string): Config {
  const env = { ...exampleEnv, VONAGE_ENABLED: enabled };
  return loadConfig({ path: 'config/example.toml', env, argv: [] });
}

function errorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('booleans from the environment', () => {
  it.each(['false', '0', 'False', 'no', 'NO', ' false '])('reads %j as false', (value) => {
    const vonage = loadWithVonage(value).providers.find((entry) => entry.id === 'vonage-main');
    expect(vonage?.enabled).toBe(false);
  });

  it.each(['true', '1', 'TRUE', 'yes', 'Yes'])('reads %j as true', (value) => {
    const vonage = loadWithVonage(value).providers.find((entry) => entry.id === 'vonage-main');
    expect(vonage?.enabled).toBe(true);
  });

  it('keeps a disabled provider out of routes', () => {
    const config = loadWithVonage('false');
    expect(config.routes['default']?.providers).toEqual(['twilio-main']);
  });

  it('uses the default when the variable is unset', () => {
    const config = loadConfig({ path: 'config/example.toml', env: exampleEnv, argv: [] });
    expect(config.providers[1]?.enabled).toBe(true);
  });

  it('rejects a misspelled value', () => {
    const error = errorOf(() => loadWithVonage('flase'));
    expect(error.issues).toEqual([
      {
        path: 'providers[1].enabled',
        message:
          'must be true, false, 1, 0, yes or no (in any case), got "flase" (from VONAGE_ENABLED)',
      },
    ]);
  });

  it('names the variable and the accepted values in the message', () => {
    const error = errorOf(() => loadWithVonage('flase'));
    expect(error.message).toContain('VONAGE_ENABLED');
    expect(error.message).toContain('true, false, 1, 0, yes or no');
  });

  it('keeps a quoted boolean in the file a string', () => {
    const text = minimal.replace('type = "simulator"', 'type = "simulator"\nenabled = "false"');
    const error = errorOf(() => parseConfig(text, {}, 'test.toml'));
    expect(error.issues[0]?.path).toBe('providers[0].enabled');
    expect(error.issues[0]?.message).toMatch(/^must be true or false, got "false"/);
  });
});

describe('numbers from the environment', () => {
  it('reads a number', () => {
    const text = minimal.replace(
      'type = "simulator"',
      'type = "simulator"\nlatency_ms = "${LATENCY}"',
    );
    const config = parseConfig(text, { LATENCY: '250' }, 'test.toml');
    expect(config.providers[0]?.options).toMatchObject({ latency_ms: 250 });
  });

  it('reads a fraction', () => {
    const text = minimal.replace(
      'type = "simulator"',
      'type = "simulator"\nfailure_rate = "${RATE}"',
    );
    const config = parseConfig(text, { RATE: '0.25' }, 'test.toml');
    expect(config.providers[0]?.options).toMatchObject({ failure_rate: 0.25 });
  });

  it('rejects text that is not a number', () => {
    const text = minimal.replace(
      '[[providers]]',
      '[defaults]\nattempt_timeout_ms = "${TIMEOUT}"\n\n[[providers]]',
    );
    const error = errorOf(() => parseConfig(text, { TIMEOUT: '5s' }, 'test.toml'));
    expect(error.issues).toEqual([
      { path: 'defaults.attempt_timeout_ms', message: 'must be a number, got "5s" (from TIMEOUT)' },
    ]);
  });

  it('rejects a fraction where an integer belongs', () => {
    const text = minimal.replace(
      '[[providers]]',
      '[defaults]\nattempt_timeout_ms = "${TIMEOUT}"\n\n[[providers]]',
    );
    const error = errorOf(() => parseConfig(text, { TIMEOUT: '2.5' }, 'test.toml'));
    expect(error.issues[0]?.message).toBe('must be an integer, got 2.5 (from TIMEOUT)');
  });
});

const minimal = `
[[api_keys]]
name = "default"
key = "test-key-0123"

[[providers]]
id = "sim"
type = "simulator"

[routes.default]
providers = ["sim"]
`;
