import { describe, expect, it } from 'vitest';

import { ConfigError, parseConfig, type ConfigIssue } from '../../src/config/index.js';

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

function issuesOf(text: string, env: Record<string, string> = {}): readonly ConfigIssue[] {
  try {
    parseConfig(text, env, 'test.toml');
  } catch (error) {
    if (error instanceof ConfigError) {
      return error.issues;
    }
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** Returns the base config with `extra` inserted before `[[providers]]`. */
function withTopLevel(extra: string): string {
  return base.replace('[[providers]]', `${extra}\n\n[[providers]]`);
}

/** Returns the base config with `extra` added to the first provider's table. */
function withProviderKeys(extra: string): string {
  return base.replace(
    'id = "sim-a"\ntype = "simulator"',
    `id = "sim-a"\ntype = "simulator"\n${extra}`,
  );
}

describe('unknown keys', () => {
  it('hints at a misspelled key', () => {
    expect(issuesOf(withProviderKeys('latncy_ms = 5'))).toEqual([
      {
        path: 'providers[0].latncy_ms',
        message: 'is not a known key (did you mean "latency_ms"?)',
      },
    ]);
  });

  it('hints at a misspelled table', () => {
    expect(issuesOf(withTopLevel('[sever]\nport = 9000'))).toEqual([
      { path: 'sever', message: 'is not a known key (did you mean "server"?)' },
    ]);
  });

  it('gives no hint for an unrelated key', () => {
    expect(issuesOf(withProviderKeys('colour = "blue"'))).toEqual([
      { path: 'providers[0].colour', message: 'is not a known key' },
    ]);
  });

  it('checks adapter keys by provider type', () => {
    const [issue] = issuesOf(withProviderKeys('auth_token = "x"'));
    expect(issue?.path).toBe('providers[0].auth_token');
  });

  it('hints at a misspelled provider type', () => {
    const text = base.replace('type = "simulator"', 'type = "simulater"');
    expect(issuesOf(text)).toEqual([
      {
        path: 'providers[0].type',
        message:
          'must be one of "twilio", "vonage", "simulator", ' +
          'got "simulater" (did you mean "simulator"?)',
      },
    ]);
  });

  it('hints at a misspelled enum value', () => {
    const [issue] = issuesOf(withTopLevel('[logging]\nlevel = "inof"'));
    expect(issue?.message).toMatch(/, got "inof" \(did you mean "info"\?\)$/);
  });
});

describe('cross-field rules', () => {
  it('orders a provider backoff', () => {
    const text = base.replace(
      'id = "sim-b"\ntype = "simulator"',
      'id = "sim-b"\ntype = "simulator"\n' +
        'retry = { initial_backoff_ms = 1000, max_backoff_ms = 500 }',
    );
    const messages = issuesOf(text).map((issue) => `${issue.path} ${issue.message}`);
    expect(messages).toEqual([
      'providers[1].retry.max_backoff_ms must be at least initial_backoff_ms (1000), got 500',
    ]);
  });

  it('checks an override against the defaults', () => {
    const text = withProviderKeys('retry = { initial_backoff_ms = 3000 }');
    expect(issuesOf(text)).toEqual([
      {
        path: 'providers[0].retry.initial_backoff_ms',
        message: 'must be at most max_backoff_ms (2000, from defaults.retry), got 3000',
      },
    ]);
  });

  it('orders the default backoff', () => {
    const text = withTopLevel('[defaults.retry]\ninitial_backoff_ms = 800\nmax_backoff_ms = 400');
    expect(issuesOf(text)).toEqual([
      {
        path: 'defaults.retry.max_backoff_ms',
        message: 'must be at least initial_backoff_ms (800), got 400',
      },
    ]);
  });

  it('requires a half-open trial call', () => {
    const [issue] = issuesOf(withProviderKeys('breaker = { half_open_max_calls = 0 }'));
    expect(`${issue?.path} ${issue?.message}`).toBe(
      'providers[0].breaker.half_open_max_calls must be at least 1, got 0',
    );
  });

  it('requires a positive success threshold', () => {
    const [issue] = issuesOf(withTopLevel('[defaults.breaker]\nsuccess_threshold = 0'));
    expect(issue?.path).toBe('defaults.breaker.success_threshold');
  });

  it('merges overrides over the defaults', () => {
    const text = withProviderKeys('attempt_timeout_ms = 3000\nbreaker = { policy = "rate" }');
    const [first, second] = parseConfig(text, {}, 'test.toml').providers;
    expect(first?.attempt_timeout_ms).toBe(3000);
    expect(first?.breaker.policy).toBe('rate');
    expect(first?.breaker.failure_threshold).toBe(3);
    expect(second?.breaker.policy).toBe('consecutive');
  });
});

describe('providers', () => {
  it('rejects a duplicate id', () => {
    const text = base.replace(
      '[routes',
      '[[providers]]\nid = "sim-a"\ntype = "simulator"\n\n[routes',
    );
    expect(issuesOf(text)).toEqual([
      { path: 'providers[2].id', message: 'must differ from providers[0].id, got "sim-a"' },
    ]);
  });

  it('rejects an id that is not a slug', () => {
    const [issue] = issuesOf(base.replace('id = "sim-a"', 'id = "Sim A"'));
    expect(issue?.path).toBe('providers[0].id');
  });

  it('gathers adapter keys in options', () => {
    const config = parseConfig(withProviderKeys('mode = "transient"'), {}, 'test.toml');
    expect(config.providers[0]?.options).toEqual({
      mode: 'transient',
      latency_ms: 20,
      failure_rate: 1,
    });
  });
});

describe('routes', () => {
  it('rejects an unknown provider', () => {
    const text = base.replace('["sim-a", "sim-b"]', '["sim-a", "sim-c"]');
    expect(issuesOf(text)).toEqual([
      {
        path: 'routes.default.providers[1]',
        message: 'must be the id of a configured provider, got "sim-c" (did you mean "sim-a"?)',
      },
    ]);
  });

  it('rejects a repeated provider', () => {
    const text = base.replace('["sim-a", "sim-b"]', '["sim-a", "sim-a"]');
    const [issue] = issuesOf(text);
    expect(issue?.path).toBe('routes.default.providers[1]');
  });

  it('requires a default route', () => {
    const text = base.replace('[routes.default]', '[routes.main]');
    expect(issuesOf(text)).toEqual([
      { path: 'routes', message: 'must include a route named "default"' },
    ]);
  });

  it('drops disabled providers', () => {
    const text = base.replace('id = "sim-a"', 'id = "sim-a"\nenabled = false');
    const config = parseConfig(text, {}, 'test.toml');
    expect(config.routes['default']?.providers).toEqual(['sim-b']);
    expect(config.providers[0]?.enabled).toBe(false);
  });

  it('rejects a route left without providers', () => {
    const text = base
      .replace('id = "sim-a"', 'id = "sim-a"\nenabled = false')
      .replace('id = "sim-b"', 'id = "sim-b"\nenabled = false');
    expect(issuesOf(text)).toEqual([
      {
        path: 'routes.default.providers',
        message: 'must include an enabled provider, but sim-a, sim-b are disabled',
      },
    ]);
  });

  it('gives a calling code to one route only', () => {
    const uk = '[routes.uk]\nproviders = ["sim-b"]\ncalling_codes = ["44"]\n';
    const text = `${base}calling_codes = ["44"]\n\n${uk}`;
    expect(issuesOf(text)).toEqual([
      {
        path: 'routes.uk.calling_codes[0]',
        message: 'must belong to one route only, but route "default" has it, got "44"',
      },
    ]);
  });

  it('rejects an unassigned calling code', () => {
    const [issue] = issuesOf(`${base}calling_codes = ["999"]\n`);
    expect(issue?.message).toBe('must be the calling code of a country, got "999"');
  });

  it('keeps the default validity under the maximum', () => {
    const text = `${base}async_validity_ms = 7200000\nasync_max_validity_ms = 3600000\n`;
    expect(issuesOf(text)).toEqual([
      {
        path: 'routes.default.async_validity_ms',
        message: 'must be at most async_max_validity_ms (3600000), got 7200000',
      },
    ]);
  });

  it('checks the default validity against [queue]', () => {
    const text = `${withTopLevel('[queue]\nmax_validity_ms = 60000')}async_validity_ms = 120000\n`;
    expect(issuesOf(text)).toEqual([
      {
        path: 'routes.default.async_validity_ms',
        message: 'must be at most [queue] max_validity_ms (60000), got 120000',
      },
    ]);
  });

  it('lets a route override the maximum validity', () => {
    const text = `${base}async_max_validity_ms = 600000000\n`;
    const config = parseConfig(text, {}, 'test.toml');
    expect(config.routes['default']?.async_max_validity_ms).toBe(600_000_000);
  });

  it('fills in route defaults', () => {
    const route = parseConfig(base, {}, 'test.toml').routes['default'];
    expect(route).toEqual({
      name: 'default',
      providers: ['sim-a', 'sim-b'],
      deadline_ms: 15_000,
      on_ambiguous: 'failover',
      calling_codes: [],
      escalate: ['error_log'],
      async_validity_ms: 3_600_000,
      async_retry_initial_backoff_ms: 1000,
      async_retry_max_backoff_ms: 60_000,
      async_max_validity_ms: 259_200_000,
      delivery: { resend_on: [], escalate_undelivered: true },
    });
  });

  it('reports every problem at once', () => {
    const text = withProviderKeys('latncy_ms = 5')
      .replace('["sim-a", "sim-b"]', '["sim-a", "sim-c"]')
      .replace('[[providers]]', '[server]\nport = 0\n\n[[providers]]');
    expect(issuesOf(text).map((issue) => issue.path)).toEqual([
      'server.port',
      'providers[0].latncy_ms',
      'routes.default.providers[1]',
    ]);
  });
});

describe('credentials', () => {
  it('rejects a short API key', () => {
    const [issue] = issuesOf(base.replace('test-key-0123', 'short'));
    expect(issue?.message).toBe('must be at least 8 characters long, got ***');
  });

  it('accepts the development key', () => {
    const config = parseConfig(base.replace('test-key-0123', 'dev-key'), {}, 'test.toml');
    expect(config.api_keys[0]?.key).toBe('dev-key');
  });

  it('rejects a duplicate API key', () => {
    const text = withTopLevel('[[api_keys]]\nname = "second"\nkey = "test-key-0123"');
    expect(issuesOf(text)).toEqual([
      { path: 'api_keys[1].key', message: 'must differ from api_keys[0].key, got ***' },
    ]);
  });

  it('requires an API key', () => {
    const text = base.replace(/\[\[api_keys\]\][^[]*/, '');
    expect(issuesOf(text)).toEqual([{ path: 'api_keys', message: 'is required' }]);
  });

  it('drops an empty admin token', () => {
    const text = withTopLevel('[[admin_tokens]]\nname = "ops"\ntoken = "${ADMIN_TOKEN:-}"');
    expect(parseConfig(text, {}, 'test.toml').admin_tokens).toEqual([]);
  });

  it('rejects a short admin token', () => {
    const text = withTopLevel('[[admin_tokens]]\nname = "ops"\ntoken = "short-token"');
    const [issue] = issuesOf(text);
    expect(issue?.message).toBe('must be at least 16 characters long, got ***');
  });

  it('keeps admin tokens apart from API keys', () => {
    const text = base
      .replace('test-key-0123', 'shared-secret-0123456')
      .replace(
        '[[providers]]',
        '[[admin_tokens]]\nname = "ops"\ntoken = "shared-secret-0123456"\n\n[[providers]]',
      );
    const [issue] = issuesOf(text);
    expect(issue?.path).toBe('admin_tokens[0].token');
  });
});

describe('api_keys account_sid', () => {
  const sid = `AC${'0123456789abcdef'.repeat(2)}`;
  const withSid = (value: string) =>
    base.replace('key = "test-key-0123"', `key = "test-key-0123"\naccount_sid = ${value}`);

  it('accepts an Account SID', () => {
    const config = parseConfig(withSid(`"${sid}"`), {}, 'test.toml');
    expect(config.api_keys[0]?.account_sid).toBe(sid);
  });

  it('leaves it unset by default', () => {
    expect(parseConfig(base, {}, 'test.toml').api_keys[0]?.account_sid).toBeUndefined();
  });

  it('drops an empty Account SID', () => {
    const config = parseConfig(withSid('"${SMS_RELAY_ACCOUNT_SID:-}"'), {}, 'test.toml');
    expect(config.api_keys[0]?.account_sid).toBeUndefined();
  });

  it('rejects uppercase hex digits', () => {
    expect(issuesOf(withSid(`"${sid.toUpperCase()}"`))).toEqual([
      {
        path: 'api_keys[0].account_sid',
        message: `must be "AC" followed by 32 lowercase hex digits, got "${sid.toUpperCase()}"`,
      },
    ]);
  });

  it('rejects an API key SID', () => {
    const [issue] = issuesOf(withSid(`"SK${sid.slice(2)}"`));
    expect(issue?.path).toBe('api_keys[0].account_sid');
  });

  it('rejects a duplicate Account SID', () => {
    const second = `[[api_keys]]\nname = "second"\nkey = "test-key-4567"\naccount_sid = "${sid}"`;
    const text = withSid(`"${sid}"`).replace('[[providers]]', `${second}\n\n[[providers]]`);

    expect(issuesOf(text)).toEqual([
      {
        path: 'api_keys[1].account_sid',
        message: `must differ from api_keys[0].account_sid, got "${sid}"`,
      },
    ]);
  });
});

describe('secrets in messages', () => {
  const twilio = (authToken: string) =>
    base.replace(
      'id = "sim-b"\ntype = "simulator"',
      `id = "sim-b"\ntype = "twilio"\naccount_sid = "\${SID}"\nauth_token = ${authToken}`,
    );

  it('masks a secret key', () => {
    const message = issuesOf(twilio('42'), { SID: `AC${'0'.repeat(32)}` })[0]?.message;
    expect(message).toBe('must be a string, got ***');
  });

  it('masks a value from a secret variable', () => {
    const text = base.replace('id = "sim-a"', 'id = "${DB_PASSWORD}"');
    const [issue] = issuesOf(text, { DB_PASSWORD: 'Hunter2 Secret' });
    expect(issue?.message).not.toContain('Hunter2');
    expect(issue?.message).toContain('got *** (from DB_PASSWORD)');
  });

  it('masks a short API key from the environment', () => {
    const text = base.replace('"test-key-0123"', '"${SMS_RELAY_API_KEY}"');
    const error = (() => {
      try {
        parseConfig(text, { SMS_RELAY_API_KEY: 'abc1234' }, 'test.toml');
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.message).not.toContain('abc1234');
  });

  it('shows a value from an ordinary variable', () => {
    const [issue] = issuesOf(twilio('"${TWILIO_AUTH_TOKEN}"'), {
      SID: 'ACnot-hex',
      TWILIO_AUTH_TOKEN: 'x',
    });
    expect(issue?.message).toBe(
      'must be "AC" followed by 32 hex digits, got "ACnot-hex" (from SID)',
    );
  });

  it('keeps file excerpts out of syntax errors', () => {
    const text = base.replace('key = "test-key-0123"', 'key = "secret-in-file-0123');
    const [issue] = issuesOf(text);
    expect(issue?.message).not.toContain('secret-in-file');
  });
});

describe('adapter checks', () => {
  it('requires a Twilio sender', () => {
    const text = `${base}
[[providers]]
id = "twilio-main"
type = "twilio"
account_sid = "AC00000000000000000000000000000000"
auth_token = "test-token"
`;
    const issues = issuesOf(text);

    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('providers[2].from');
    expect(issues[0]?.message).toBe('is required unless messaging_service_sid is set');
  });
});
