/** One problem in a config file. */
export interface ConfigIssue {
  /** Config path of the problem, as in `providers[1].retry.max_backoff_ms`; empty for the file. */
  readonly path: string;
  /** The rule and the offending value, as in `must be at least 1, got 0`, with secrets masked. */
  readonly message: string;
}

/** Formats an issue as one line: `path message`. */
export function formatIssue(issue: ConfigIssue): string {
  return issue.path === '' ? issue.message : `${issue.path} ${issue.message}`;
}

/**
 * The config could not be read or is invalid. `issues` lists every problem found, not only the
 * first, and the message repeats them one per line, so printing the message is enough to fix the
 * file. Neither contains a secret's value.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
  /** The file, or the name given to `parseConfig`. */
  readonly source: string;
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    const lines = issues.map((issue) => `  - ${formatIssue(issue)}`);
    super(
      [`Cannot load the configuration from ${source} (${count}):`, ...lines].join('\n'),
      options,
    );
    this.source = source;
    this.issues = Object.freeze([...issues]);
  }
}

/** Type guard for `ConfigError`, also across module copies. */
export function isConfigError(value: unknown): value is ConfigError {
  return value instanceof ConfigError || (value as { name?: unknown })?.name === 'ConfigError';
}
