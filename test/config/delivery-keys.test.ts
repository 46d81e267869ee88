import { describe, expect, it } from 'vitest';

import {
  ConfigError,
  configWarnings,
  parseConfig,
  type ConfigIssue,
} from '../../src/config/index.js';

const base = `
[[api_keys]]
name = "default"
key = "test-key-0123"

[[providers]]
id = "sim-a"
type = "simulator"

[[providers]]
id = "vonage-eu"
type = "vonage"
api_key = "key01"
api_secret = "secret-0001"
from = "SMSRelay"

[routes.default]
providers = ["sim-a", "vonage-eu"]
`;

function issuesOf(text: string): readonly ConfigIssue[] {
  try {
    parseConfig(text, {}, 'test.toml');
  } catch (error) {
    if (error instanceof ConfigError) {
      return error.issues;
    }
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function withPublicUrl(url: string): string {
  return `[server]\npublic_base_url = "${url}"\n${base}`;
}

describe('server.public_base_url', () => {
  it('is unset by default', () => {
    expect(parseConfig(base, {}, 'test.toml').server.public_base_url).toBeUndefined();
  });

  it('drops trailing slashes', () => {
    const config = parseConfig(withPublicUrl('https://relay.example.com/sms//'), {}, 'test.toml');
    expect(config.server.public_base_url).toBe('https://relay.example.com/sms');
  });

  it('rejects another scheme', () => {
    const [issue] = issuesOf(withPublicUrl('ftp://relay.example.com'));
    expect(issue?.path).toBe('server.public_base_url');
    expect(issue?.message).toContain('must be an http:// or https:// URL');
  });

  it('rejects a query string', () => {
    const [issue] = issuesOf(withPublicUrl('https://relay.example.com/?x=1'));
    expect(issue?.message).toContain('must not contain a query string');
  });

  it('rejects credentials', () => {
    const [issue] = issuesOf(withPublicUrl('https://user:pass@relay.example.com'));
    expect(issue?.message).toContain('must not contain credentials');
  });
});

describe('vonage signature keys', () => {
  it('default to md5hash and five minutes', () => {
    const vonage = parseConfig(base, {}, 'test.toml').providers[1];
    if (vonage?.type !== 'vonage') {
      throw new Error('expected the second provider to be vonage');
    }
    expect(vonage.options.signature_method).toBe('md5hash');
    expect(vonage.options.signature_max_age_ms).toBe(300_000);
    expect(vonage.options.signature_secret).toBeUndefined();
  });

  it('rejects an unknown method', () => {
    const text = base.replace('from = "SMSRelay"', 'from = "SMSRelay"\nsignature_method = "sha3"');
    const [issue] = issuesOf(text);
    expect(issue?.path).toBe('providers[1].signature_method');
  });
});

describe('store.pending_report_ttl_ms', () => {
  it('defaults to one hour', () => {
    expect(parseConfig(base, {}, 'test.toml').store.pending_report_ttl_ms).toBe(3_600_000);
  });
});

describe('routes.<name>.delivery', () => {
  const withDelivery = (keys: string) => `${base}\n[routes.default.delivery]\n${keys}\n`;

  it('resends nothing by default', () => {
    const route = parseConfig(base, {}, 'test.toml').routes['default'];
    expect(route?.delivery.resend_on).toEqual([]);
    expect(route?.delivery.final_status_timeout_ms).toBeUndefined();
  });

  it('accepts provider-side failure classes', () => {
    const text = withDelivery('resend_on = ["provider_failure", "account_failure"]');
    const route = parseConfig(text, {}, 'test.toml').routes['default'];
    expect(route?.delivery.resend_on).toEqual(['provider_failure', 'account_failure']);
  });

  it('rejects resending a recipient failure', () => {
    const [issue] = issuesOf(withDelivery('resend_on = ["recipient_failure"]'));
    expect(issue?.path).toBe('routes.default.delivery.resend_on[0]');
    expect(issue?.message).toBe(
      'must not be a recipient or content failure, because another provider would fail the ' +
        'same way or bypass an opt-out, got "recipient_failure"',
    );
  });

  it('rejects resending a content failure', () => {
    const [issue] = issuesOf(withDelivery('resend_on = ["content_failure"]'));
    expect(issue?.message).toContain('got "content_failure"');
  });

  it('rejects an unknown class', () => {
    const [issue] = issuesOf(withDelivery('resend_on = ["carrier"]'));
    expect(issue?.message).toBe(
      'must be one of provider_failure, account_failure, temporary_failure, unknown_failure, ' +
        'got "carrier"',
    );
  });

  it('warns about a timeout without callback URLs', () => {
    const config = parseConfig(withDelivery('final_status_timeout_ms = 600000'), {}, 'test.toml');
    const codes = configWarnings(config).map((warning) => warning.code);
    expect(codes).toContain('final_status_timeout_without_public_url');
  });

  it('accepts a timeout with a public base URL', () => {
    const text = `[server]\npublic_base_url = "https://relay.example.com"\n${withDelivery(
      'final_status_timeout_ms = 600000',
    )}`;
    const codes = configWarnings(parseConfig(text, {}, 'test.toml')).map((w) => w.code);
    expect(codes).not.toContain('final_status_timeout_without_public_url');
  });
});
