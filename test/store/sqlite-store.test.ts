import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { SCHEMA_VERSION, SqliteStore, type NewMessage } from '../../src/store/index.js';
import { storedMessage } from '../helpers/store.js';

let directory: string;
let path: string;
const opened: SqliteStore[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'sms-relay-store-'));
  path = join(directory, 'nested', 'store.db');
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
  return storedMessage({ reference: 'ticket-7', ...overrides });
}

describe('SqliteStore schema', () => {
  it('creates the file with the current version', () => {
    open();
    const db = new BetterSqlite3(path, { readonly: true });
    const version = db.pragma('user_version', { simple: true });
    db.close();

    expect(version).toBe(SCHEMA_VERSION);
  });

  it('runs in WAL mode', () => {
    const store = open();

    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('rejects a file from a newer build', async () => {
    await open().close();
    const db = new BetterSqlite3(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();

    expect(() => new SqliteStore(path)).toThrow(/schema version is \d+, newer than/);
  });

  it('keeps messages across a reopen', async () => {
    const first = open();
    await first.createMessage(newMessage());
    await first.close();

    const message = await open().getMessage('alerting', 'msg-1');
    expect(message?.body).toBe('disk full');
  });
});

describe('SqliteStore messages', () => {
  it('records attempts from start to end', async () => {
    const store = open();
    await store.createMessage(newMessage());
    await store.recordAttemptStart({
      messageId: 'msg-1',
      number: 1,
      provider: 'sim-a',
      startedAt: 1_010,
    });

    const running = await store.getMessage('alerting', 'msg-1');
    expect(running?.attempts[0]?.outcome).toBeNull();
    expect(running?.attempts[0]?.endedAt).toBeNull();

    await store.recordAttemptEnd({
      messageId: 'msg-1',
      number: 1,
      outcome: 'transient',
      httpStatus: 503,
      providerCode: null,
      durationMs: 40,
      endedAt: 1_050,
    });
    const ended = await store.getMessage('alerting', 'msg-1');
    expect(ended?.attempts[0]).toEqual({
      number: 1,
      provider: 'sim-a',
      startedAt: 1_010,
      endedAt: 1_050,
      outcome: 'transient',
      httpStatus: 503,
      providerCode: null,
      durationMs: 40,
      providerMessageId: null,
      delivery: null,
      resend: false,
      superseded: false,
    });
  });

  it('appends each status change to the history', async () => {
    const store = open();
    await store.createMessage(newMessage());
    await store.finishMessage('msg-1', {
      status: 'sent',
      code: null,
      provider: 'sim-a',
      providerMessageId: 'SM1',
      possibleDuplicate: false,
      at: 1_100,
    });

    const message = await store.getMessage('alerting', 'msg-1');
    expect(message?.status).toBe('sent');
    expect(message?.providerMessageId).toBe('SM1');
    expect(message?.history).toEqual([
      { status: 'sending', code: null, providerCode: null, at: 1_000 },
      { status: 'sent', code: null, providerCode: null, at: 1_100 },
    ]);
  });

  it('hides a message from another API key', async () => {
    const store = open();
    await store.createMessage(newMessage());

    expect(await store.getMessage('billing', 'msg-1')).toBeUndefined();
  });

  it('rejects a second message with the same id', async () => {
    const store = open();
    await store.createMessage(newMessage());

    await expect(store.createMessage(newMessage())).rejects.toThrow(/UNIQUE/);
  });
});

describe('SqliteStore lists', () => {
  async function seed(store: SqliteStore): Promise<void> {
    const rows: Array<Partial<NewMessage>> = [
      { id: 'a', createdAt: 1_000, route: 'default' },
      { id: 'b', createdAt: 2_000, route: 'eu' },
      { id: 'c', createdAt: 2_000, route: 'default', status: 'queued' },
      { id: 'd', createdAt: 3_000, route: 'default' },
      { id: 'e', createdAt: 4_000, route: 'default', principal: 'billing' },
    ];
    for (const row of rows) {
      await store.createMessage(newMessage(row));
    }
  }

  it('lists newest first across pages', async () => {
    const store = open();
    await seed(store);

    const first = await store.listMessages('alerting', { limit: 2 });
    const second = await store.listMessages('alerting', {
      limit: 2,
      ...(first.nextCursor ? { cursor: first.nextCursor } : {}),
    });

    expect(first.messages.map((message) => message.id)).toEqual(['d', 'c']);
    expect(second.messages.map((message) => message.id)).toEqual(['b', 'a']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('filters by status, route and time', async () => {
    const store = open();
    await seed(store);

    const queued = await store.listMessages('alerting', { limit: 10, status: 'queued' });
    const eu = await store.listMessages('alerting', { limit: 10, route: 'eu' });
    const window = await store.listMessages('alerting', {
      limit: 10,
      createdFrom: 2_000,
      createdBefore: 3_000,
    });

    expect(queued.messages.map((message) => message.id)).toEqual(['c']);
    expect(eu.messages.map((message) => message.id)).toEqual(['b']);
    expect(window.messages.map((message) => message.id)).toEqual(['c', 'b']);
  });
});
