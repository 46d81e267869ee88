import { describe, expect, it } from 'vitest';

import {
  configWarnings,
  parseConfig,
  usesDevelopmentAdminToken,
  usesDevelopmentApiKey,
} from '../../src/config/index.js';

const base = `
[[api_keys]]
name = "default"
key = "test-key-0123"

[[providers]]
id = "sim-a"
type = "simulator"

[[providers]]
id = "sim-b"
type = "simulator"

[routes.default]
providers = ["sim-a", "sim-b"]
`;

function load(text: string) {
  return parseConfig(text, {}, 'test.toml');
}

describe('development credentials', () => {
  it('detects the development API key', () => {
    expect(usesDevelopmentApiKey(load(base.replace('test-key-0123', 'dev-key')))).toBe(true);
  });

  it('accepts an ordinary API key', () => {
    expect(usesDevelopmentApiKey(load(base))).toBe(false);
  });

  it('detects the development admin token', () => {
    const text = `[[admin_tokens]]\nname = "ops"\ntoken = "dev-admin-token-change-me"\n${base}`;
    expect(usesDevelopmentAdminToken(load(text))).toBe(true);
  });

  it('accepts a config without admin tokens', () => {
    expect(usesDevelopmentAdminToken(load(base))).toBe(false);
  });
});

describe('config warnings', () => {
  it('lists nothing for a plain config', () => {
    expect(configWarnings(load(base))).toEqual([]);
  });

  it('names a disabled provider', () => {
    const config = load(base.replace('id = "sim-b"', 'id = "sim-b"\nenabled = false'));
    expect(configWarnings(config)).toEqual([
      {
        code: 'provider_disabled',
        path: 'providers[1].enabled',
        message: 'provider sim-b is disabled, so no route sends through it',
      },
    ]);
  });

  it('flags an attempt timeout beyond the deadline', () => {
    const text = `${base}deadline_ms = 3000\n`;
    const [warning] = configWarnings(load(text));
    expect(warning?.code).toBe('attempt_timeout_exceeds_deadline');
    expect(warning?.path).toBe('providers[0].attempt_timeout_ms');
  });

  it('flags a deadline beyond the shutdown timeout', () => {
    const text = `${base}deadline_ms = 30000\n`;
    const warnings = configWarnings(load(text));

    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.code).toBe('deadline_exceeds_shutdown_timeout');
    expect(warnings[0]?.path).toBe('routes.default.deadline_ms');
  });

  it('flags a route without escalation', () => {
    const [warning] = configWarnings(load(`${base}escalate = []\n`));
    expect(warning?.code).toBe('no_escalation');
    expect(warning?.path).toBe('routes.default.escalate');
  });
});
