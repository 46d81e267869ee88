import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { SqliteStore, type MessageResult, type NewMessage } from '../../src/store/index.js';
import { walCommits as countWalCommits } from '../helpers/wal.js';
import { storedMessage } from '../helpers/store.js';

let directory: string;
let path: string;
const opened: SqliteStore[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'sms-relay-group-commit-'));
  path = join(directory, 'store.db');
});

afterEach(async () => {
  for (const store of opened.splice(0)) {
    await store.close();
  }
  rmSync(directory, { recursive: true, force: true });
});

function open(): SqliteStore {
  const store = new SqliteStore(path);
  opened.push(store);
  return store;
}

function newMessage(overrides: Partial<NewMessage> = {}): NewMessage {
  return storedMessage(overrides);
}

function sent(at: number): MessageResult {
  return {
    status: 'sent',
    code: null,
    provider: 'sim-a',
    providerMessageId: 'SM1',
    possibleDuplicate: false,
    at,
  };
}

/** Returns the reason of a rejected result as a string, or an empty string for a fulfilled one. */
function reasonOf(result: PromiseSettledResult<unknown> | undefined): string {
  return result?.status === 'rejected' ? String(result.reason) : '';
}

function walCommits(): number {
  return countWalCommits(path);
}

describe('SqliteStore group commit', () => {
  it('commits the writes of one turn once', async () => {
    const store = open();
    const before = walCommits();

    await Promise.all([
      store.createMessage(newMessage({ id: 'a' })),
      store.createMessage(newMessage({ id: 'b' })),
      store.recordAttemptStart({ messageId: 'a', number: 1, provider: 'sim-a', startedAt: 1_010 }),
    ]);

    expect(walCommits() - before).toBe(1);
  });

  it('commits writes of separate turns separately', async () => {
    const store = open();
    const before = walCommits();

    await store.createMessage(newMessage({ id: 'a' }));
    await store.createMessage(newMessage({ id: 'b' }));

    expect(walCommits() - before).toBe(2);
  });

  it('runs the operations of a turn in call order', async () => {
    const store = open();

    const writes = [
      store.createMessage(newMessage()),
      store.updateStatus('msg-1', 'queued', 1_010),
      store.updateStatus('msg-1', 'sending', 1_020),
      store.finishMessage('msg-1', sent(1_030)),
    ];
    await Promise.all(writes);
    const message = await store.getMessage('alerting', 'msg-1');

    expect(message?.status).toBe('sent');
    expect(message?.history.map((change) => change.status)).toEqual([
      'sending',
      'queued',
      'sending',
      'sent',
    ]);
  });

  it('lets a read see the writes queued before it', async () => {
    const store = open();

    const created = store.createMessage(newMessage());
    const started = store.recordAttemptStart({
      messageId: 'msg-1',
      number: 1,
      provider: 'sim-a',
      startedAt: 1_010,
    });
    const read = store.getMessage('alerting', 'msg-1');
    const finished = store.finishMessage('msg-1', sent(1_030));
    await Promise.all([created, started, finished]);
    const message = await read;

    expect(message?.status).toBe('sending');
    expect(message?.attempts).toHaveLength(1);
    expect(message?.attempts[0]?.outcome).toBeNull();
  });

  it('reads at once with nothing queued', async () => {
    const store = open();
    await store.createMessage(newMessage());
    let checkPhaseRan = false;
    setImmediate(() => {
      checkPhaseRan = true;
    });

    const message = await store.getMessage('alerting', 'msg-1');

    expect(message?.id).toBe('msg-1');
    expect(checkPhaseRan).toBe(false);
  });

  it('claims a message queued in the same turn', async () => {
    const store = open();

    const created = store.createMessage(newMessage({ mode: 'async', status: 'queued' }));
    const claimed = store.claimDueMessages(1_000, 8);
    await created;

    expect((await claimed).map((message) => message.id)).toEqual(['msg-1']);
  });

  it('orders idempotency claims of one turn', async () => {
    const store = open();
    const claim = {
      principal: 'alerting',
      key: 'key-1',
      fingerprint: 'hash-1',
      now: 1_000,
      expiresAt: 2_000,
    };

    const [first, second] = await Promise.all([
      store.claimIdempotencyKey({ ...claim, messageId: 'msg-1' }),
      store.claimIdempotencyKey({ ...claim, messageId: 'msg-2' }),
    ]);

    expect(first.kind).toBe('claimed');
    expect(second).toEqual({ kind: 'in_progress', messageId: 'msg-1', interrupted: false });
  });

  it('rejects only the failing write of a batch', async () => {
    const store = open();

    const results = await Promise.allSettled([
      store.createMessage(newMessage({ id: 'a' })),
      store.createMessage(newMessage({ id: 'a', body: 'second' })),
      store.createMessage(newMessage({ id: 'b' })),
    ]);

    expect(results[0]?.status).toBe('fulfilled');
    expect(results[1]?.status).toBe('rejected');
    expect(reasonOf(results[1])).toMatch(/UNIQUE/);
    expect(results[2]?.status).toBe('fulfilled');
    expect((await store.getMessage('alerting', 'a'))?.body).toBe('disk full');
    expect(await store.getMessage('alerting', 'b')).toBeDefined();
  });

  it('rolls back every statement of a failing write', async () => {
    const store = open();
    await store.createMessage(newMessage());
    // The message update of finishMessage succeeds; its history insert then fails.
    store.db.exec(`CREATE TEMP TRIGGER fail_history BEFORE INSERT ON status_changes
      WHEN NEW.code = 'fail-here' BEGIN SELECT RAISE(ABORT, 'history insert failed'); END`);

    const results = await Promise.allSettled([
      store.finishMessage('msg-1', { ...sent(1_030), status: 'failed', code: 'fail-here' }),
      store.recordAttemptStart({ messageId: 'msg-1', number: 1, provider: 'sim-a', startedAt: 1 }),
    ]);
    const message = await store.getMessage('alerting', 'msg-1');

    expect(results[0]?.status).toBe('rejected');
    expect(results[1]?.status).toBe('fulfilled');
    expect(message?.status).toBe('sending');
    expect(message?.code).toBeNull();
    expect(message?.history).toHaveLength(1);
    expect(message?.attempts).toHaveLength(1);
  });

  it('fails the whole batch after a rollback', async () => {
    const store = open();
    // RAISE(ROLLBACK) ends the whole transaction, as SQLite does by itself after some I/O errors.
    store.db.exec(`CREATE TEMP TRIGGER roll_back BEFORE INSERT ON messages
      WHEN NEW.id = 'b' BEGIN SELECT RAISE(ROLLBACK, 'transaction rolled back'); END`);

    const results = await Promise.allSettled([
      store.createMessage(newMessage({ id: 'a' })),
      store.createMessage(newMessage({ id: 'b' })),
      store.createMessage(newMessage({ id: 'c' })),
    ]);
    await store.createMessage(newMessage({ id: 'd' }));

    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(reasonOf(results[0])).toMatch(/transaction rolled back/);
    expect(await store.getMessage('alerting', 'a')).toBeUndefined();
    expect(await store.getMessage('alerting', 'c')).toBeUndefined();
    expect(await store.getMessage('alerting', 'd')).toBeDefined();
  });

  it('resolves a write only once it is committed', async () => {
    const store = open();
    const observer = new BetterSqlite3(path, { readonly: true });
    const count = () =>
      (observer.prepare('SELECT COUNT(*) AS count FROM messages').get() as { count: number }).count;

    const created = store.createMessage(newMessage());
    const beforeCommit = count();
    await created;
    const afterCommit = count();
    observer.close();

    expect(beforeCommit).toBe(0);
    expect(afterCommit).toBe(1);
  });

  it('rejects every write while the database is locked', async () => {
    const store = open();
    store.db.pragma('busy_timeout = 0');
    const other = new BetterSqlite3(path);
    other.exec('BEGIN IMMEDIATE');

    const locked = await Promise.allSettled([
      store.createMessage(newMessage({ id: 'a' })),
      store.createMessage(newMessage({ id: 'b' })),
    ]);
    other.exec('ROLLBACK');
    other.close();
    await store.createMessage(newMessage({ id: 'c' }));

    expect(locked.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(reasonOf(locked[0])).toMatch(/locked|busy/i);
    expect(await store.getMessage('alerting', 'a')).toBeUndefined();
    expect(await store.getMessage('alerting', 'c')).toBeDefined();
  });
});

describe('SqliteStore close', () => {
  it('commits queued writes before it closes', async () => {
    const store = open();

    const created = store.createMessage(newMessage());
    await store.close();
    await created;
    const message = await open().getMessage('alerting', 'msg-1');

    expect(message?.body).toBe('disk full');
  });

  it('rejects calls after close', async () => {
    const store = open();
    await store.close();

    await expect(store.createMessage(newMessage())).rejects.toThrow(/store is closed/);
    await expect(store.getMessage('alerting', 'msg-1')).rejects.toThrow(/store is closed/);
  });
});
