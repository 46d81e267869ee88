import { existsSync, readFileSync } from 'node:fs';

/**
 * Counts the commits in the write-ahead log of the SQLite file at `databasePath`: frames whose
 * header carries the database size after a commit, as the WAL format of SQLite 3 defines them
 * (https://sqlite.org/fileformat.html, section 4.1). Frames left over from before the last WAL
 * reset carry other salts and end the count.
 */
export function walCommits(databasePath: string): number {
  const walPath = `${databasePath}-wal`;
  if (!existsSync(walPath)) {
    return 0;
  }
  const wal = readFileSync(walPath);
  if (wal.length < 32) {
    return 0;
  }

  const pageSize = wal.readUInt32BE(8);
  const salts = wal.subarray(16, 24);
  let commits = 0;
  for (let offset = 32; offset + 24 + pageSize <= wal.length; offset += 24 + pageSize) {
    if (!wal.subarray(offset + 8, offset + 16).equals(salts)) {
      break;
    }
    if (wal.readUInt32BE(offset + 4) !== 0) {
      commits += 1;
    }
  }
  return commits;
}
