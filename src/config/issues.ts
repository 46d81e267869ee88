import type { z } from 'zod';

import type { ConfigIssue } from './errors.js';
import { didYouMean } from './hints.js';
import type { EnvOrigins } from './interpolate.js';
import { formatPath, isTable, valueAt, type ConfigPath } from './paths.js';
import { describeReceived } from './received.js';
import { allowedKeys, schemaAt } from './schema-walk.js';

const typeNames: Readonly<Record<string, string>> = {
  int: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  string: 'a string',
  array: 'a list',
  object: 'a table',
};

/**
 * Phrases zod's built-in issues as rules, such as "must be at least 1", for `safeParse`'s `error`
 * option. Messages that a schema sets itself take precedence over these.
 */
export function ruleForIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? 'is required'
        : `must be ${typeNames[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return boundRule(issue.origin, Number(issue.minimum), issue.inclusive ?? true, 'least');
    case 'too_big':
      return boundRule(issue.origin, Number(issue.maximum), issue.inclusive ?? true, 'most');
    case 'invalid_value': {
      const values = issue.values.map((value) => JSON.stringify(value));
      return values.length === 1 ? `must be ${values[0]}` : `must be one of ${values.join(', ')}`;
    }
    case 'invalid_format':
      if (issue.format === 'url') {
        return 'must be a URL';
      }
      return issue.format === 'regex' ? `must match ${issue.pattern}` : `must be a ${issue.format}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    default:
      return undefined;
  }
}

function boundRule(origin: string, bound: number, inclusive: boolean, side: 'least' | 'most') {
  const comparison = side === 'least' ? 'greater' : 'less';
  switch (origin) {
    case 'string':
      return side === 'least' && bound === 1
        ? 'must not be empty'
        : `must be at ${side} ${bound} characters long`;
    case 'array':
      return side === 'least' && bound === 1
        ? 'must list at least one item'
        : `must list at ${side} ${bound} items`;
    default:
      return inclusive ? `must be at ${side} ${bound}` : `must be ${comparison} than ${bound}`;
  }
}

/** Inputs for describing issues: the schema and the document to look up keys and values in. */
export interface IssueContext {
  readonly schema: z.core.$ZodType;
  /** The document that was validated, after interpolation and conversion. */
  readonly document: unknown;
  readonly origins: EnvOrigins;
}

/**
 * Turns zod issues into config issues: one per unknown key with a "did you mean" hint, the
 * received value appended (masked when secret, with the variables it came from), and nested
 * record-key issues flattened.
 */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  context: IssueContext,
): ConfigIssue[] {
  return issues.flatMap((issue) => describeIssue(issue, context));
}

function describeIssue(issue: z.core.$ZodIssue, context: IssueContext): ConfigIssue[] {
  const path = issue.path as ConfigPath;
  const value = valueAt(context.document, path);

  switch (issue.code) {
    case 'unrecognized_keys': {
      const schema = schemaAt(context.schema, context.document, path);
      const allowed = schema === undefined ? [] : allowedKeys(schema);
      return issue.keys.map((key) => ({
        path: formatPath([...path, key]),
        message: `is not a known key${didYouMean(key, allowed)}`,
      }));
    }
    case 'invalid_key': {
      const reason = issue.issues[0]?.message ?? 'is not allowed';
      return [{ path: formatPath(path), message: `is not a valid name: it ${reason}` }];
    }
    case 'invalid_union':
      if (issue.discriminator !== undefined && 'options' in issue && issue.options) {
        return [describeDiscriminator(path, value, issue.options, context)];
      }
      break;
    default:
      break;
  }

  // A table or list is summarized as "a table" or "a list of N items", which only helps when
  // the problem is the value's type.
  const summarized = isTable(value) || Array.isArray(value);
  const received =
    summarized && issue.code !== 'invalid_type'
      ? ''
      : describeReceived(path, value, context.origins);
  const fromEnv = context.origins.has(formatPath(path));
  const hint = hintFor(issue, value, fromEnv);
  return [{ path: formatPath(path), message: `${issue.message}${received}${hint}` }];
}

function describeDiscriminator(
  path: ConfigPath,
  value: unknown,
  options: readonly unknown[],
  context: IssueContext,
): ConfigIssue {
  const choices = options.map((option) => JSON.stringify(option)).join(', ');
  if (value === undefined) {
    return { path: formatPath(path), message: `is required: one of ${choices}` };
  }

  const names = options.filter((option): option is string => typeof option === 'string');
  const received = describeReceived(path, value, context.origins);
  const hint = typeof value === 'string' ? didYouMean(value, names) : '';
  return { path: formatPath(path), message: `must be one of ${choices}${received}${hint}` };
}

const quotedScalar = /^\s*(?:[+-]?\d+(?:\.\d+)?|true|false)\s*$/i;

function hintFor(issue: z.core.$ZodIssue, value: unknown, fromEnv: boolean): string {
  if (issue.code === 'invalid_type' && typeof value === 'string' && !fromEnv) {
    return quotedScalar.test(value) ? ' (write numbers and booleans without quotes)' : '';
  }
  if (issue.code === 'invalid_value' && typeof value === 'string') {
    const names = issue.values.filter((option): option is string => typeof option === 'string');
    return didYouMean(value, names);
  }
  if (issue.code === 'custom' && typeof issue.params?.['hint'] === 'string') {
    return issue.params['hint'];
  }
  return '';
}
