import type { z } from 'zod';

import type { ConfigIssue } from './errors.js';
import type { Env, EnvOrigins } from './interpolate.js';
import { formatPath, isTable, valueAt, type ConfigPath } from './paths.js';
import { describeReceived } from './received.js';
import { schemaAt, schemaType } from './schema-walk.js';

/** Strings accepted for a boolean that comes from the environment, compared in any case. */
export const booleanWords: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['false', false],
  ['1', true],
  ['0', false],
  ['yes', true],
  ['no', false],
]);

const decimalPattern = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Applies the environment overrides that win over the file: `PORT` sets `server.port` and
 * `SMS_RELAY_DATA_DIR` sets `data_dir`. An empty variable counts as unset. The values are recorded
 * in `origins` like interpolated ones, so they are converted and named in errors the same way.
 */
export function applyEnvOverrides(document: unknown, env: Env, origins: EnvOrigins): void {
  if (!isTable(document)) {
    return;
  }

  const port = env['PORT'];
  if (port !== undefined && port !== '') {
    document['server'] ??= {};
    if (isTable(document['server'])) {
      document['server']['port'] = port;
      origins.set('server.port', { path: ['server', 'port'], variables: ['PORT'] });
    }
  }

  const dataDir = env['SMS_RELAY_DATA_DIR'];
  if (dataDir !== undefined && dataDir !== '') {
    document['data_dir'] = dataDir;
    origins.set('data_dir', { path: ['data_dir'], variables: ['SMS_RELAY_DATA_DIR'] });
  }
}

/**
 * Converts each string that came from the environment into the number or boolean that the schema
 * expects at its path. Values written in the TOML file keep their own type, so `enabled = "false"`
 * in the file stays an error. Booleans accept `true/false/1/0/yes/no` in any case, never
 * JavaScript truthiness, which would read "false" as true. Returns one issue per value that does
 * not convert, and leaves that value unchanged.
 */
export function convertEnvValues(
  schema: z.core.$ZodType,
  document: unknown,
  origins: EnvOrigins,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];

  for (const { path } of origins.values()) {
    const text = valueAt(document, path);
    const target = schemaAt(schema, document, path);
    if (typeof text !== 'string' || target === undefined) {
      continue;
    }

    const type = schemaType(target);
    if (type === 'number') {
      convertAt(document, path, parseDecimal(text), 'must be a number', origins, issues);
    } else if (type === 'boolean') {
      const rule = 'must be true, false, 1, 0, yes or no (in any case)';
      convertAt(document, path, booleanWords.get(text.trim().toLowerCase()), rule, origins, issues);
    }
  }

  return issues;
}

function parseDecimal(text: string): number | undefined {
  const trimmed = text.trim();
  return decimalPattern.test(trimmed) ? Number(trimmed) : undefined;
}

function convertAt(
  document: unknown,
  path: ConfigPath,
  converted: number | boolean | undefined,
  rule: string,
  origins: EnvOrigins,
  issues: ConfigIssue[],
): void {
  if (converted === undefined) {
    const received = describeReceived(path, valueAt(document, path), origins);
    issues.push({ path: formatPath(path), message: `${rule}${received}` });
    return;
  }

  const parent = valueAt(document, path.slice(0, -1)) as Record<PropertyKey, unknown>;
  parent[path.at(-1) as PropertyKey] = converted;
}
