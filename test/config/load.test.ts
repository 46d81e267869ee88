import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ConfigError, loadConfig, parseConfig } from '../../src/config/index.js';

/** Builds a minimal valid config whose provider id identifies the file it came from. */
function configText(providerId: string): string {
  return `
[[api_keys]]
name = "default"
key = "test-key-0123"

[[providers]]
id = "${providerId}"
type = "simulator"

[routes.default]
providers = ["${providerId}"]
`;
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

let directory: string;
let fromArgument: string;
let fromVariable: string;
let fromOption: string;

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'sms-relay-config-'));
  fromArgument = join(directory, 'argument.toml');
  fromVariable = join(directory, 'variable.toml');
  fromOption = join(directory, 'option.toml');
  writeFileSync(fromArgument, configText('from-argument'));
  writeFileSync(fromVariable, configText('from-variable'));
  writeFileSync(fromOption, configText('from-option'));
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

function providerIdOf(options: Parameters<typeof loadConfig>[0]): string | undefined {
  return loadConfig(options).providers[0]?.id;
}

describe('config file selection', () => {
  it('reads the file named by --config', () => {
    const id = providerIdOf({ argv: ['--config', fromArgument], env: {} });
    expect(id).toBe('from-argument');
  });

  it('reads the file named by --config=PATH', () => {
    const id = providerIdOf({ argv: [`--config=${fromArgument}`], env: {} });
    expect(id).toBe('from-argument');
  });

  it('reads the file named by SMS_RELAY_CONFIG', () => {
    const id = providerIdOf({ argv: [], env: { SMS_RELAY_CONFIG: fromVariable } });
    expect(id).toBe('from-variable');
  });

  it('prefers --config over SMS_RELAY_CONFIG', () => {
    const env = { SMS_RELAY_CONFIG: fromVariable };
    expect(providerIdOf({ argv: ['--config', fromArgument], env })).toBe('from-argument');
  });

  it('prefers the path option over --config', () => {
    const id = providerIdOf({ path: fromOption, argv: ['--config', fromArgument], env: {} });
    expect(id).toBe('from-option');
  });

  it('defaults to config/default.toml', () => {
    expect(providerIdOf({ argv: [], env: {} })).toBe('sim-primary');
  });

  it('requires a path after --config', () => {
    const error = errorOf(() => loadConfig({ argv: ['--config'], env: {} }));
    expect(error.issues[0]?.message).toMatch(/^--config needs a file path/);
  });

  it('names a missing file', () => {
    const missing = join(directory, 'missing.toml');
    const error = errorOf(() => loadConfig({ path: missing, argv: [], env: {} }));
    expect(error.source).toBe(missing);
    expect(error.message).toContain(missing);
    expect(error.issues[0]?.message).toMatch(/^cannot read the file: it does not exist/);
  });

  it('names a directory given as the file', () => {
    const error = errorOf(() => loadConfig({ path: directory, argv: [], env: {} }));
    expect(error.issues[0]?.message).toBe('cannot read the file: it is a directory');
  });
});

describe('TOML syntax errors', () => {
  it('name the file and the line', () => {
    const broken = join(directory, 'broken.toml');
    writeFileSync(broken, 'data_dir = "./data"\n\n[server\nport = 8080\n');
    const error = errorOf(() => loadConfig({ path: broken, argv: [], env: {} }));
    expect(error.message).toContain(broken);
    expect(error.issues[0]?.message).toMatch(/^line 3, column \d+: /);
  });

  it('report a repeated key', () => {
    const error = errorOf(() => parseConfig('data_dir = "a"\ndata_dir = "b"\n', {}, 'test.toml'));
    expect(error.issues[0]?.message).toMatch(/^line 2, column 1: /);
  });
});

describe('environment overrides', () => {
  it('sets the port from PORT', () => {
    const config = parseConfig(configText('sim'), { PORT: '9090' }, 'test.toml');
    expect(config.server.port).toBe(9090);
  });

  it('prefers PORT over the file', () => {
    const text = `[server]\nport = 8081\n${configText('sim')}`;
    expect(parseConfig(text, { PORT: '9090' }, 'test.toml').server.port).toBe(9090);
  });

  it('ignores an empty PORT', () => {
    expect(parseConfig(configText('sim'), { PORT: '' }, 'test.toml').server.port).toBe(8080);
  });

  it('names PORT when it is out of range', () => {
    const error = errorOf(() => parseConfig(configText('sim'), { PORT: '70000' }, 'test.toml'));
    expect(error.issues).toEqual([
      { path: 'server.port', message: 'must be at most 65535, got 70000 (from PORT)' },
    ]);
  });

  it('names PORT when it is not a number', () => {
    const error = errorOf(() => parseConfig(configText('sim'), { PORT: 'http' }, 'test.toml'));
    expect(error.issues[0]?.message).toBe('must be a number, got "http" (from PORT)');
  });

  it('sets the data directory from SMS_RELAY_DATA_DIR', () => {
    const env = { SMS_RELAY_DATA_DIR: '/var/lib/sms-relay' };
    expect(parseConfig(configText('sim'), env, 'test.toml').data_dir).toBe('/var/lib/sms-relay');
  });

  it('prefers SMS_RELAY_DATA_DIR over the file', () => {
    const text = `data_dir = "./other"\n${configText('sim')}`;
    const env = { SMS_RELAY_DATA_DIR: '/var/lib/sms-relay' };
    expect(parseConfig(text, env, 'test.toml').data_dir).toBe('/var/lib/sms-relay');
  });
});

describe('loaded config', () => {
  const config = parseConfig(configText('sim'), {}, 'test.toml');

  it('is frozen at the top', () => {
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('is frozen in nested tables', () => {
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(Object.isFrozen(config.providers[0]?.retry)).toBe(true);
    expect(Object.isFrozen(config.providers[0]?.options)).toBe(true);
  });

  it('is frozen in lists', () => {
    expect(Object.isFrozen(config.providers)).toBe(true);
    expect(Object.isFrozen(config.routes['default']?.providers)).toBe(true);
  });

  it('rejects writes', () => {
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('keeps providers apart from the defaults', () => {
    const twoProviders = parseConfig(
      configText('sim').replace(
        '[routes',
        '[[providers]]\nid = "b"\ntype = "simulator"\n\n[routes',
      ),
      {},
      'test.toml',
    );
    expect(twoProviders.providers[0]?.retry).not.toBe(twoProviders.providers[1]?.retry);
    expect(twoProviders.providers[0]?.retry).not.toBe(twoProviders.defaults.retry);
  });
});
