/** A location inside the config document: table keys and array indexes, outermost first. */
export type ConfigPath = readonly PropertyKey[];

const bareKey = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Formats a path the way a reader finds it in the TOML file: `providers[1].retry.max_attempts`.
 * Keys that are not bare words are quoted (`routes["eu west"]`), so two paths never format alike.
 */
export function formatPath(path: ConfigPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      text += `[${segment}]`;
    } else if (typeof segment === 'string' && bareKey.test(segment)) {
      text += text === '' ? segment : `.${segment}`;
    } else {
      text += `[${JSON.stringify(String(segment))}]`;
    }
  }
  return text;
}

/** Returns the value at `path` inside `root`, or undefined when a step is missing. */
export function valueAt(root: unknown, path: ConfigPath): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') {
      return undefined;
    }
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/** Returns true for a TOML table, which smol-toml builds without a prototype. */
export function isTable(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') {
    return false;
  }

  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype;
}
