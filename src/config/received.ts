import type { EnvOrigins } from './interpolate.js';
import { formatPath, isTable, type ConfigPath } from './paths.js';

/** Keys whose values are secrets, such as `auth_token`, `api_secret`, `key` and `token`. */
const secretKeyPattern = /(^|_)(key|token|secret|password|passwd|passphrase|credentials?)$/i;

/** Environment variable names that usually carry a secret, such as `TWILIO_AUTH_TOKEN`. */
const secretVariablePattern = /KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|PRIVATE/i;

const maxShownLength = 60;

/** Returns true when a config key contains a secret, so its value never appears in a message. */
export function isSecretKey(key: PropertyKey): boolean {
  return typeof key === 'string' && secretKeyPattern.test(key);
}

/** Returns true when an environment variable's name suggests that it contains a secret. */
export function isSecretVariable(name: string): boolean {
  return secretVariablePattern.test(name);
}

/** The password part of a URL's user info, as in `smtps://user:password@host`. */
const urlPassword = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^/?#]*@/i;

/** Describes a value for a message: strings quoted and shortened, tables and lists summarized. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const masked = value.replace(urlPassword, '$1***@');
    const shown = masked.length > maxShownLength ? `${masked.slice(0, maxShownLength)}...` : masked;
    return JSON.stringify(shown);
  }
  if (value instanceof Date) {
    return 'a date';
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      return 'an empty list';
    }
    return value.length === 1 ? 'a list of 1 item' : `a list of ${value.length} items`;
  }
  if (isTable(value)) {
    return 'a table';
  }
  return String(value);
}

/**
 * Returns the `, got VALUE (from VAR)` tail of a message for the value at `path`: `***` in place
 * of a secret (by its key or by the name of the variable it came from), and the variables the
 * value was interpolated from. Empty when the value is missing.
 */
export function describeReceived(path: ConfigPath, value: unknown, origins: EnvOrigins): string {
  if (value === undefined) {
    return '';
  }

  const variables = origins.get(formatPath(path))?.variables ?? [];
  const secret = isSecretKey(path.at(-1) ?? '') || variables.some(isSecretVariable);
  const shown = secret ? '***' : describeValue(value);
  const source = variables.length === 0 ? '' : ` (from ${variables.join(', ')})`;
  return `, got ${shown}${source}`;
}
