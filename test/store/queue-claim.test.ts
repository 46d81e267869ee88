import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { SqliteStore, type NewMessage } from '../../src/store/index.js';
import { storedMessage } from '../helpers/store.js';

let directory: string;
let store: SqliteStore;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'sms-relay-claim-'));
  store = new SqliteStore(join(directory, 'store.db'));
});

afterEach(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

function newMessage(overrides: Partial<NewMessage> = {}): NewMessage {
  return storedMessage({ mode: 'async', status: 'queued', expiresAt: 10_000, ...overrides });
}

async function statuses(): Promise<string[]> {
  const message = await store.getMessage('alerting', 'msg-1');
  return message?.history.map((change) => change.status) ?? [];
}

describe('queue claim of an expired message', () => {
  it('leaves it queued without a status change', async () => {
    await store.createMessage(newMessage());
    const [claimed] = await store.claimDueMessages(20_000, 10);

    expect(claimed?.expired).toBe(true);
    expect((await store.getMessage('alerting', 'msg-1'))?.status).toBe('queued');
    expect(await statuses()).toEqual(['queued']);
  });

  it('does not claim it twice', async () => {
    await store.createMessage(newMessage());
    await store.claimDueMessages(20_000, 10);

    expect(await store.claimDueMessages(21_000, 10)).toEqual([]);
  });

  it('claims a valid message as sending', async () => {
    await store.createMessage(newMessage());
    const [claimed] = await store.claimDueMessages(2_000, 10);

    expect(claimed?.expired).toBe(false);
    expect(await statuses()).toEqual(['queued', 'sending']);
  });

  it('makes it due again on requeue', async () => {
    await store.createMessage(newMessage());
    await store.claimDueMessages(20_000, 10);

    expect(await store.requeueMessage('msg-1', 20_000, 20_000)).toBe(true);
    expect(await store.claimDueMessages(21_000, 10)).toHaveLength(1);
    expect(await statuses()).toEqual(['queued']);
  });

  it('makes it due again on recovery', async () => {
    await store.createMessage(newMessage());
    await store.claimDueMessages(20_000, 10);
    await store.recoverInterrupted(30_000);

    expect(await store.claimDueMessages(30_000, 10)).toHaveLength(1);
    expect(await statuses()).toEqual(['queued']);
  });
});
