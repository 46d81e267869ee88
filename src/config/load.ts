import { readFileSync } from 'node:fs';

import { parse as parseToml, TomlError } from 'smol-toml';

import { applyEnvOverrides, convertEnvValues } from './env-values.js';
import { ConfigError, type ConfigIssue } from './errors.js';
import { interpolateDocument, type Env } from './interpolate.js';
import { describeIssues, ruleForIssue } from './issues.js';
import { configSchema, type Config } from './schema.js';

/** The file `loadConfig` reads when neither `--config` nor `SMS_RELAY_CONFIG` names one. */
export const DEFAULT_CONFIG_PATH = 'config/default.toml';

/** Options of `loadConfig`. */
export interface LoadConfigOptions {
  /** The config file; wins over `--config` and `SMS_RELAY_CONFIG`. */
  readonly path?: string;
  /** Variables for `${VAR}` and the overrides; default `process.env`. */
  readonly env?: Env;
  /** Command-line arguments after the script name; default `process.argv.slice(2)`. */
  readonly argv?: readonly string[];
}

/**
 * Reads, interpolates and validates the config file and returns the deep-frozen result. The file
 * is `options.path`, else `--config PATH` (or `--config=PATH`) in `argv`, else `SMS_RELAY_CONFIG`,
 * else `config/default.toml`; a relative path is relative to the working directory.
 *
 * @throws ConfigError listing every problem: an unreadable file, a TOML syntax error with its
 *   line, an unset variable, or values that break the schema.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const path = options.path ?? configPathFromArgs(options.argv ?? process.argv.slice(2));
  const file = path ?? nonEmpty(env['SMS_RELAY_CONFIG']) ?? DEFAULT_CONFIG_PATH;

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: describeReadError(error) }], {
      cause: error,
    });
  }
  return parseConfig(text, env, file);
}

/**
 * Parses config text as `loadConfig` does after reading the file. `sourceName` names the text in
 * errors.
 *
 * @throws ConfigError as `loadConfig` does.
 */
export function parseConfig(text: string, env: Env = process.env, sourceName = 'config'): Config {
  const interpolated = interpolateDocument(parseDocument(text, sourceName), env);
  const { document, origins } = interpolated;
  applyEnvOverrides(document, env, origins);
  const earlier = [...interpolated.issues, ...convertEnvValues(configSchema, document, origins)];

  const result = configSchema.safeParse(document, { error: ruleForIssue });
  const later = result.success
    ? []
    : describeIssues(result.error.issues, { schema: configSchema, document, origins });

  // A value that failed interpolation or conversion would also fail the schema; report it once.
  const issues = [...earlier, ...later.filter((issue) => !isInsideAny(issue.path, earlier))];
  if (issues.length > 0 || !result.success) {
    throw new ConfigError(sourceName, issues);
  }
  return result.data;
}

function parseDocument(text: string, sourceName: string): unknown {
  try {
    return parseToml(text);
  } catch (error) {
    if (!(error instanceof TomlError)) {
      throw error;
    }

    // smol-toml's message ends with an excerpt of the file, which may contain a secret.
    const reason = error.message.replace(/^Invalid TOML document: /, '').split('\n')[0];
    const issue = { path: '', message: `line ${error.line}, column ${error.column}: ${reason}` };
    throw new ConfigError(sourceName, [issue], { cause: error });
  }
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'cannot read the file: it does not exist (pass --config PATH or set SMS_RELAY_CONFIG)';
    case 'EACCES':
      return 'cannot read the file: permission denied';
    case 'EISDIR':
      return 'cannot read the file: it is a directory';
    default:
      return `cannot read the file: ${code ?? String(error)}`;
  }
}

function configPathFromArgs(argv: readonly string[]): string | undefined {
  let path: string | undefined;
  for (const [index, argument] of argv.entries()) {
    if (argument === '--config') {
      path = argv[index + 1];
      if (path === undefined || path === '' || path.startsWith('--')) {
        throw missingConfigArgument();
      }
    } else if (argument.startsWith('--config=')) {
      path = argument.slice('--config='.length);
      if (path === '') {
        throw missingConfigArgument();
      }
    }
  }
  return path;
}

function missingConfigArgument(): ConfigError {
  const message = '--config needs a file path, as in --config config/example.toml';
  return new ConfigError('the command line', [{ path: '', message }]);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function isInsideAny(path: string, issues: readonly ConfigIssue[]): boolean {
  return issues.some(
    (issue) =>
      issue.path !== '' &&
      (path === issue.path ||
        path.startsWith(`${issue.path}.`) ||
        path.startsWith(`${issue.path}[`)),
  );
}
