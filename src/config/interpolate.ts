import type { ConfigIssue } from './errors.js';
import { formatPath, isTable, type ConfigPath } from './paths.js';

/** Environment variables, as in `process.env`. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The environment variables that one string value of the config was built from. */
export interface EnvOrigin {
  readonly path: ConfigPath;
  /** Every variable the string referenced, in order, whether it was set or its default applied. */
  readonly variables: readonly string[];
}

/** Env origins of interpolated values, keyed by `formatPath(path)`. */
export type EnvOrigins = Map<string, EnvOrigin>;

/** A config document after interpolation, with where each interpolated value came from. */
export interface Interpolated {
  readonly document: unknown;
  readonly origins: EnvOrigins;
  readonly issues: ConfigIssue[];
}

const referencePattern = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * Replaces `${NAME}` and `${NAME:-default}` in every string of the document, including strings in
 * arrays and nested tables. Keys are left as written. The default applies when NAME is unset or
 * empty, as in a POSIX shell, and ends at the first `}`. `$${` is a literal `${`. A reference to
 * an unset variable without a default, or a malformed reference, becomes an issue at its path.
 */
export function interpolateDocument(document: unknown, env: Env): Interpolated {
  const origins: EnvOrigins = new Map();
  const issues: ConfigIssue[] = [];

  const visit = (node: unknown, path: ConfigPath): unknown => {
    if (typeof node === 'string') {
      const result = interpolateString(node, env);
      if (result.variables.length > 0) {
        origins.set(formatPath(path), { path, variables: result.variables });
      }
      for (const message of result.problems) {
        issues.push({ path: formatPath(path), message });
      }
      return result.value;
    }
    if (Array.isArray(node)) {
      return node.map((item, index) => visit(item, [...path, index]));
    }
    if (isTable(node)) {
      // fromEntries defines own properties, so a `__proto__` key stays an ordinary key.
      return Object.fromEntries(
        Object.entries(node).map(([key, value]) => [key, visit(value, [...path, key])]),
      );
    }
    return node;
  };

  return { document: visit(document, []), origins, issues };
}

interface InterpolatedString {
  readonly value: string;
  readonly variables: string[];
  readonly problems: string[];
}

function interpolateString(text: string, env: Env): InterpolatedString {
  const variables: string[] = [];
  const problems: string[] = [];
  let value = '';
  let index = 0;

  while (index < text.length) {
    const dollar = text.indexOf('$', index);
    if (dollar === -1) {
      value += text.slice(index);
      break;
    }

    value += text.slice(index, dollar);
    if (text.startsWith('$${', dollar)) {
      value += '${';
      index = dollar + 3;
      continue;
    }
    if (!text.startsWith('${', dollar)) {
      value += '$';
      index = dollar + 1;
      continue;
    }

    const close = text.indexOf('}', dollar + 2);
    if (close === -1) {
      problems.push('has a "${" without a closing "}" (write "$${" for a literal "${")');
      value += text.slice(dollar);
      break;
    }

    const reference = text.slice(dollar + 2, close);
    index = close + 1;
    const match = referencePattern.exec(reference);
    if (match === null) {
      problems.push(
        `has an invalid reference "\${${reference}}": write \${NAME} or \${NAME:-default}, ` +
          'where NAME is letters, digits and underscores and does not start with a digit',
      );
      continue;
    }

    const name = match[1] as string;
    const fallback = match[2];
    const setting = env[name];
    variables.push(name);
    if (fallback !== undefined && (setting === undefined || setting === '')) {
      value += fallback;
    } else if (setting === undefined) {
      problems.push(
        `needs environment variable ${name}, which is not set ` +
          `(set it, or give a default with \${${name}:-default})`,
      );
    } else {
      value += setting;
    }
  }

  return { value, variables, problems };
}
