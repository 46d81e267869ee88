import { isAbsolute, join } from 'node:path';

import type { Config } from '../config/index.js';
import { SqliteStore } from './sqlite/store.js';
import type { MessageStore } from './types.js';

export { Retention, type RetentionSettings } from './retention.js';
export { SqliteStore } from './sqlite/store.js';
export { SCHEMA_VERSION } from './sqlite/migrations.js';
export { messageStatuses, messageStatusRank } from './status.js';
export type * from './types.js';

/** Returns the path of the SQLite file: `store.path`, relative to `data_dir` unless absolute. */
export function storePath(config: Config): string {
  const { path } = config.store;
  return isAbsolute(path) ? path : join(config.data_dir, path);
}

/**
 * Opens the store that `config` names, creating and migrating it as needed.
 *
 * @throws the driver's error when the file cannot be opened, or an `Error` when its schema is
 *   newer than this build.
 */
export function openStore(config: Config): MessageStore {
  return new SqliteStore(storePath(config));
}
