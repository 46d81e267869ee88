import { describe, expect, it } from 'vitest';

import { parseConfig, type RouteConfig } from '../../src/config/index.js';
import { decideResend } from '../../src/delivery/resend-policy.js';
import type { DeliveryCheck } from '../../src/store/index.js';

function route(delivery: string): RouteConfig {
  const config = parseConfig(
    `
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

[routes.default.delivery]
${delivery}
`,
    {},
    'test.toml',
  );
  const defaultRoute = config.routes['default'];
  if (defaultRoute === undefined) {
    throw new Error('the test config has no default route');
  }
  return defaultRoute;
}

const failure: DeliveryCheck = {
  id: 'msg-1',
  route: 'default',
  status: 'undelivered',
  code: 'provider_failure',
  provider: 'sim-a',
  attempt: 1,
  usedProviders: ['sim-a'],
  expiresAt: null,
};

describe('decideResend', () => {
  it('resends a class in resend_on', () => {
    const decision = decideResend(failure, route('resend_on = ["provider_failure"]'), 0);

    expect(decision).toEqual({
      kind: 'resend',
      reason: 'delivery_failure',
      attempt: 1,
      candidates: ['sim-b'],
    });
  });

  it('keeps a class outside resend_on', () => {
    const decision = decideResend(failure, route('resend_on = ["account_failure"]'), 0);

    expect(decision.kind).toBe('none');
  });

  it('resends a missing final status', () => {
    const check = { ...failure, status: 'sent' as const, code: null };

    const decision = decideResend(check, route('final_status_timeout_ms = 1000'), 0);

    expect(decision).toMatchObject({ kind: 'resend', reason: 'final_status_timeout' });
  });

  it('skips a provider that may have the message', () => {
    const check = { ...failure, provider: 'sim-b', usedProviders: ['sim-a', 'sim-b'] };

    const decision = decideResend(check, route('resend_on = ["provider_failure"]'), 0);

    expect(decision).toEqual({
      kind: 'none',
      reason: 'every provider of the route has had the message',
    });
  });

  it('keeps a message past its expires_at', () => {
    const check = { ...failure, expiresAt: 5_000 };

    const decision = decideResend(check, route('resend_on = ["provider_failure"]'), 5_000);

    expect(decision).toEqual({ kind: 'none', reason: 'the message is past its expires_at' });
  });

  it('keeps a message of a removed route', () => {
    const decision = decideResend(failure, undefined, 0);

    expect(decision).toEqual({ kind: 'none', reason: 'route "default" is no longer configured' });
  });

  it('reads a failure without a code as unknown_failure', () => {
    const check = { ...failure, code: null };

    const decision = decideResend(check, route('resend_on = ["unknown_failure"]'), 0);

    expect(decision.kind).toBe('resend');
  });
});
