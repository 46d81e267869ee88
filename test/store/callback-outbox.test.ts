import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { SqliteStore, type MessageResult, type NewMessage } from '../../src/store/index.js';
import { storedMessage } from '../helpers/store.js';

const URL = 'http://127.0.0.1:9/status';
const LEASE_MS = 60_000;

let directory: string;
let store: SqliteStore;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'sms-relay-outbox-'));
  store = new SqliteStore(join(directory, 'store.db'));
});

afterEach(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

function newMessage(overrides: Partial<NewMessage> = {}): NewMessage {
  return storedMessage({
    mode: 'async',
    reference: 'ticket-7',
    status: 'queued',
    expiresAt: 100_000,
    callbackUrl: URL,
    ...overrides,
  });
}

const sent: MessageResult = {
  status: 'sent',
  code: null,
  provider: 'sim-a',
  providerMessageId: 'SIM-1',
  possibleDuplicate: false,
  at: 3_000,
};

/** Counts the rows of the outbox, whatever their state. */
function outboxRows(): number {
  const row = store.db.prepare('SELECT COUNT(*) AS count FROM callback_deliveries').get() as {
    count: number;
  };
  return row.count;
}

describe('callback outbox', () => {
  it('enqueues nothing at creation', async () => {
    await store.createMessage(newMessage());

    expect(outboxRows()).toBe(0);
  });

  it('enqueues each later status change', async () => {
    await store.createMessage(newMessage());
    await store.claimDueMessages(2_000, 1);
    await store.finishMessage('msg-1', sent);

    const claimed = await store.claimDueCallbacks(10_000, 10, 10_000 + LEASE_MS);

    expect(claimed).toHaveLength(1);
    expect(claimed[0]?.eventId).toBe('msg-1:2');
    expect(claimed[0]?.status).toBe('sending');
    expect(claimed[0]?.changedAt).toBe(2_000);
    expect(claimed[0]?.reference).toBe('ticket-7');
    expect(claimed[0]?.url).toBe(URL);
    expect(claimed[0]?.attempts).toBe(1);
  });

  it('carries the message fields that a format needs', async () => {
    await store.createMessage(newMessage({ callbackFormat: 'twilio', from: '+15005550006' }));
    await store.claimDueMessages(2_000, 1);

    const [delivery] = await store.claimDueCallbacks(10_000, 10, 10_000 + LEASE_MS);

    expect(delivery?.format).toBe('twilio');
    expect(delivery?.principal).toBe('alerting');
    expect(delivery?.to).toBe('+14155550100');
    expect(delivery?.from).toBe('+15005550006');
  });

  it('takes the JSON format by default', async () => {
    await store.createMessage(newMessage());
    await store.claimDueMessages(2_000, 1);

    const [delivery] = await store.claimDueCallbacks(10_000, 10, 10_000 + LEASE_MS);

    expect(delivery?.format).toBe('json');
    expect(delivery?.from).toBeNull();
  });

  it('ignores messages without a callback_url', async () => {
    await store.createMessage(newMessage({ callbackUrl: undefined }));
    await store.claimDueMessages(2_000, 1);
    await store.finishMessage('msg-1', sent);

    expect(outboxRows()).toBe(0);
  });

  it('enqueues any status, not a fixed list', async () => {
    await store.createMessage(newMessage({ status: 'sending', mode: 'sync' }));
    await store.finishMessage('msg-1', sent);
    // A status that a later version may add is still an ordinary status change.
    store.db
      .prepare(
        `INSERT INTO status_changes (message_id, seq, status, code, at)
        VALUES ('msg-1', 3, 'delivered', 'DELIVRD', 4000)`,
      )
      .run();

    const first = await store.claimDueCallbacks(10_000, 10, 10_000 + LEASE_MS);
    await store.finishCallbackAttempt('msg-1:2', { kind: 'delivered', at: 10_001 });
    const second = await store.claimDueCallbacks(10_002, 10, 10_002 + LEASE_MS);

    expect(first.map((delivery) => delivery.status)).toEqual(['sent']);
    expect(second.map((delivery) => delivery.status)).toEqual(['delivered']);
    expect(second[0]?.code).toBe('DELIVRD');
  });

  it('keeps the provider fields of each change', async () => {
    await store.createMessage(newMessage());
    await store.claimDueMessages(2_000, 1);
    await store.finishMessage('msg-1', { ...sent, possibleDuplicate: true });

    const sending = await store.claimDueCallbacks(10_000, 10, 10_000 + LEASE_MS);
    await store.finishCallbackAttempt('msg-1:2', { kind: 'delivered', at: 10_001 });
    const finished = await store.claimDueCallbacks(10_002, 10, 10_002 + LEASE_MS);

    expect(sending[0]?.provider).toBeNull();
    expect(sending[0]?.possibleDuplicate).toBe(false);
    expect(finished[0]?.provider).toBe('sim-a');
    expect(finished[0]?.providerMessageId).toBe('SIM-1');
    expect(finished[0]?.possibleDuplicate).toBe(true);
  });

  it('holds later changes until the earlier one ends', async () => {
    await store.createMessage(newMessage());
    await store.claimDueMessages(2_000, 1);
    await store.finishMessage('msg-1', sent);
    await store.claimDueCallbacks(10_000, 10, 10_000 + LEASE_MS);

    const whileSending = await store.claimDueCallbacks(10_001, 10, 10_001 + LEASE_MS);
    await store.finishCallbackAttempt('msg-1:2', {
      kind: 'retry',
      at: 10_002,
      nextAttemptAt: 20_000,
      error: 'HTTP 500',
    });
    const whileWaiting = await store.claimDueCallbacks(10_003, 10, 10_003 + LEASE_MS);
    const retried = await store.claimDueCallbacks(20_000, 10, 20_000 + LEASE_MS);

    expect(whileSending).toEqual([]);
    expect(whileWaiting).toEqual([]);
    expect(retried.map((delivery) => delivery.eventId)).toEqual(['msg-1:2']);
    expect(retried[0]?.attempts).toBe(2);
  });

  it('moves on after a delivery gave up', async () => {
    await store.createMessage(newMessage());
    await store.claimDueMessages(2_000, 1);
    await store.finishMessage('msg-1', sent);
    await store.claimDueCallbacks(10_000, 10, 10_000 + LEASE_MS);

    await store.finishCallbackAttempt('msg-1:2', {
      kind: 'gave_up',
      at: 10_001,
      error: 'HTTP 410',
    });
    const next = await store.claimDueCallbacks(10_002, 10, 10_002 + LEASE_MS);

    expect(next.map((delivery) => delivery.eventId)).toEqual(['msg-1:3']);
  });

  it('claims a delivery again after its lease', async () => {
    await store.createMessage(newMessage());
    await store.claimDueMessages(2_000, 1);
    await store.claimDueCallbacks(10_000, 10, 10_000 + LEASE_MS);

    const early = await store.claimDueCallbacks(10_000 + LEASE_MS - 1, 10, 0);
    const late = await store.claimDueCallbacks(10_000 + LEASE_MS, 10, 10_000 + 2 * LEASE_MS);

    expect(early).toEqual([]);
    expect(late.map((delivery) => delivery.attempts)).toEqual([2]);
  });

  it('releases claims left by a stopped process', async () => {
    await store.createMessage(newMessage());
    await store.claimDueMessages(2_000, 1);
    await store.claimDueCallbacks(10_000, 10, 10_000 + LEASE_MS);

    const released = await store.releaseCallbackClaims(10_001);
    const again = await store.claimDueCallbacks(10_001, 10, 10_001 + LEASE_MS);

    expect(released).toBe(1);
    expect(again.map((delivery) => delivery.eventId)).toEqual(['msg-1:2']);
  });

  it('interleaves messages by due time', async () => {
    await store.createMessage(newMessage({ id: 'msg-1' }));
    await store.createMessage(newMessage({ id: 'msg-2', createdAt: 1_500 }));
    await store.claimDueMessages(2_000, 1);
    await store.claimDueMessages(2_500, 1);

    const claimed = await store.claimDueCallbacks(10_000, 10, 10_000 + LEASE_MS);

    expect(claimed.map((delivery) => delivery.eventId)).toEqual(['msg-1:2', 'msg-2:2']);
  });

  it('claims at most the limit', async () => {
    await store.createMessage(newMessage({ id: 'msg-1' }));
    await store.createMessage(newMessage({ id: 'msg-2' }));
    await store.claimDueMessages(2_000, 2);

    const claimed = await store.claimDueCallbacks(10_000, 1, 10_000 + LEASE_MS);

    expect(claimed).toHaveLength(1);
  });

  it('drops pending deliveries with a pruned message', async () => {
    await store.createMessage(newMessage());
    await store.claimDueMessages(2_000, 1);
    await store.finishMessage('msg-1', sent);

    const report = await store.prune(5_000, 5_000);

    expect(report.messages).toBe(1);
    expect(outboxRows()).toBe(0);
  });

  it('writes the change and its delivery together', async () => {
    await store.createMessage(newMessage());
    await store.claimDueMessages(2_000, 1);
    store.db.exec(`CREATE TRIGGER fail_outbox BEFORE INSERT ON callback_deliveries
      WHEN NEW.status = 'sent' BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END`);

    await expect(store.finishMessage('msg-1', sent)).rejects.toThrow(/simulated write failure/);
    const message = await store.getMessage('alerting', 'msg-1');

    expect(message?.status).toBe('sending');
    expect(message?.history.map((change) => change.status)).toEqual(['queued', 'sending']);
    expect(outboxRows()).toBe(1);
  });
});
