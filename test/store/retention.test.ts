import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { Retention, SqliteStore, type NewMessage } from '../../src/store/index.js';

const DAY_MS = 24 * 60 * 60 * 1000;
let directory: string;
let store: SqliteStore;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'sms-relay-retention-'));
  store = new SqliteStore(join(directory, 'store.db'));
});

afterEach(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

function message(id: string, status: NewMessage['status'], createdAt: number): NewMessage {
  return {
    id,
    principal: 'alerting',
    requestId: `req-${id}`,
    mode: status === 'queued' ? 'async' : 'sync',
    route: 'default',
    to: '+14155550100',
    body: 'db-1 down',
    from: undefined,
    reference: undefined,
    encoding: 'GSM-7',
    segments: 1,
    status,
    createdAt,
    expiresAt: status === 'queued' ? createdAt + 60 * DAY_MS : undefined,
    callbackUrl: undefined,
  };
}

describe('retention', () => {
  it('prunes only old finished messages', async () => {
    const now = 100 * DAY_MS;
    await store.createMessage(message('old-sent', 'sending', now - 31 * DAY_MS));
    await store.finishMessage('old-sent', {
      status: 'sent',
      code: null,
      provider: 'sim-a',
      providerMessageId: 'SIM1',
      possibleDuplicate: false,
      at: now - 31 * DAY_MS,
    });
    await store.createMessage(message('old-queued', 'queued', now - 31 * DAY_MS));
    await store.createMessage(message('new-sent', 'sending', now - DAY_MS));
    await store.finishMessage('new-sent', {
      status: 'sent',
      code: null,
      provider: 'sim-a',
      providerMessageId: 'SIM2',
      possibleDuplicate: false,
      at: now - DAY_MS,
    });
    const retention = new Retention(
      store,
      { retention_days: 30, prune_interval_ms: 1000 },
      () => now,
    );

    const report = await retention.prune();

    expect(report.messages).toBe(1);
    expect(await store.getMessage('alerting', 'old-sent')).toBeUndefined();
    expect(await store.getMessage('alerting', 'old-queued')).toBeDefined();
    expect(await store.getMessage('alerting', 'new-sent')).toBeDefined();
  });

  it('prunes expired idempotency keys', async () => {
    const claim = { principal: 'alerting', key: 'k', fingerprint: 'f', messageId: 'm' };
    await store.claimIdempotencyKey({ ...claim, now: 0, expiresAt: 1000 });
    const retention = new Retention(
      store,
      { retention_days: 30, prune_interval_ms: 1000 },
      () => 1000,
    );

    const report = await retention.prune();

    expect(report.idempotencyKeys).toBe(1);
  });

  it('deletes attempts with their message', async () => {
    await store.createMessage(message('old', 'sending', 0));
    await store.recordAttemptStart({
      messageId: 'old',
      number: 1,
      provider: 'sim-a',
      startedAt: 0,
    });
    await store.finishMessage('old', {
      status: 'failed',
      code: 'all_providers_failed',
      provider: null,
      providerMessageId: null,
      possibleDuplicate: false,
      at: 0,
    });

    await store.prune(1, 1);
    const left = store.db.prepare('SELECT COUNT(*) AS count FROM attempts').get() as {
      count: number;
    };

    expect(left.count).toBe(0);
  });
});
