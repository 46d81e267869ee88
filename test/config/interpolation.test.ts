import { describe, expect, it } from 'vitest';

import { ConfigError, parseConfig } from '../../src/config/index.js';

const template = `
[[api_keys]]
name = "default"
key = "KEY_VALUE"

[[providers]]
id = "sim"
type = "simulator"

[routes.default]
providers = ["sim"]
`;

/** Builds a minimal config whose API key is written as `key`, so tests can interpolate into it. */
function withKey(key: string): string {
  // A function replacement, because a replacement string would read `$$` as one `$`.
  return template.replace('"KEY_VALUE"', () => JSON.stringify(key));
}

function apiKeyOf(key: string, env: Record<string, string> = {}): string | undefined {
  return parseConfig(withKey(key), env, 'test.toml').api_keys[0]?.key;
}

function issuesOf(text: string, env: Record<string, string> = {}) {
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

describe('interpolation', () => {
  it('substitutes a variable', () => {
    expect(apiKeyOf('${API_KEY}', { API_KEY: 'from-env-0123' })).toBe('from-env-0123');
  });

  it('substitutes inside a longer string', () => {
    expect(apiKeyOf('pre-${PART}-post', { PART: 'middle' })).toBe('pre-middle-post');
  });

  it('applies the default when the variable is unset', () => {
    expect(apiKeyOf('${API_KEY:-default-key-0123}')).toBe('default-key-0123');
  });

  it('applies the default when the variable is empty', () => {
    expect(apiKeyOf('${API_KEY:-default-key-0123}', { API_KEY: '' })).toBe('default-key-0123');
  });

  it('prefers a set variable over the default', () => {
    const key = apiKeyOf('${API_KEY:-default-key-0123}', { API_KEY: 'from-env-0123' });
    expect(key).toBe('from-env-0123');
  });

  it('keeps an escaped reference literal', () => {
    expect(apiKeyOf('$${NOT_A_VARIABLE}')).toBe('${NOT_A_VARIABLE}');
  });

  it('keeps a lone dollar sign', () => {
    expect(apiKeyOf('price$5-or-$$')).toBe('price$5-or-$$');
  });

  it('does not interpolate a substituted value again', () => {
    expect(apiKeyOf('${API_KEY}', { API_KEY: '${OTHER}-0123' })).toBe('${OTHER}-0123');
  });

  it('interpolates strings inside lists', () => {
    const text = template.replace('providers = ["sim"]', 'providers = ["${FIRST}"]');
    const config = parseConfig(text, { FIRST: 'sim' }, 'test.toml');
    expect(config.routes['default']?.providers).toEqual(['sim']);
  });

  it('names a missing variable', () => {
    expect(issuesOf(withKey('${SMS_RELAY_API_KEY}'))).toEqual([
      {
        path: 'api_keys[0].key',
        message:
          'needs environment variable SMS_RELAY_API_KEY, which is not set ' +
          '(set it, or give a default with ${SMS_RELAY_API_KEY:-default})',
      },
    ]);
  });

  it('names every missing variable', () => {
    const text = withKey('${FIRST_KEY}').replace('id = "sim"', 'id = "${PROVIDER_ID}"');
    const paths = issuesOf(text).map((issue) => issue.path);
    expect(paths).toEqual(['api_keys[0].key', 'providers[0].id']);
  });

  it('rejects an unclosed reference', () => {
    const [issue] = issuesOf(withKey('${API_KEY'));
    expect(issue?.message).toBe(
      'has a "${" without a closing "}" (write "$${" for a literal "${")',
    );
  });

  it('rejects a malformed variable name', () => {
    const [issue] = issuesOf(withKey('${API-KEY}'));
    expect(issue?.message).toMatch(/^has an invalid reference "\$\{API-KEY\}"/);
  });

  it('leaves keys uninterpolated', () => {
    const text = template.replace('[routes.default]', '[routes.default]\n"${X}" = 1');
    const [issue] = issuesOf(text, { X: 'deadline_ms' });
    expect(issue?.path).toBe('routes.default["${X}"]');
  });
});
