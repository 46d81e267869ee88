import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { SqliteStore, type NewDeliveryReport } from '../../src/store/index.js';

const SID = `SM${'b'.repeat(32)}`;

let directory: string;
let store: SqliteStore;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'sms-relay-delivery-checks-'));
  store = new SqliteStore(join(directory, 'store.db'));
});

afterEach(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

function report(status: NewDeliveryReport['status'], receivedAt = 2_000): NewDeliveryReport {
  const failed = status === 'undelivered' || status === 'failed';
  return {
    providerMessageId: SID,
    status,
    providerStatus: status,
    providerCode: failed ? '30008' : null,
    failureClass: failed ? 'provider_failure' : null,
    source: 'twilio',
    providers: ['twilio-main'],
    receivedAt,
    pendingUntil: receivedAt + 60_000,
  };
}

/** Writes a sync message that Twilio accepted at 1,100, due for a check at `dueAt`. */
async function sentMessage(dueAt?: number): Promise<void> {
  await store.createMessage({
    id: 'msg-1',
    principal: 'alerting',
    requestId: 'req-1',
    mode: 'sync',
    route: 'default',
    to: '+14155550100',
    body: 'disk full',
    from: undefined,
    reference: undefined,
    encoding: 'GSM-7',
    segments: 1,
    status: 'sending',
    createdAt: 1_000,
    expiresAt: undefined,
    callbackUrl: undefined,
  });
  await store.recordAttemptStart({
    messageId: 'msg-1',
    number: 1,
    provider: 'twilio-main',
    startedAt: 1_010,
  });
  await store.recordAttemptEnd({
    messageId: 'msg-1',
    number: 1,
    outcome: 'sent',
    httpStatus: 201,
    providerCode: null,
    durationMs: 40,
    endedAt: 1_050,
    providerMessageId: SID,
  });
  await store.finishMessage('msg-1', {
    status: 'sent',
    code: null,
    provider: 'twilio-main',
    providerMessageId: SID,
    possibleDuplicate: false,
    at: 1_100,
    ...(dueAt === undefined ? {} : { finalStatusDueAt: dueAt }),
  });
}

const resend = {
  id: 'msg-1',
  attempt: 1,
  expectedStatus: 'undelivered' as const,
  code: 'resend_after_failure',
  at: 3_000,
  expiresAt: 9_000,
};

describe('delivery checks in the store', () => {
  it('lists a timeout check once it is due', async () => {
    await sentMessage(5_000);

    const early = await store.listDeliveryChecks(4_999, 10);
    const due = await store.listDeliveryChecks(5_000, 10);

    expect(early).toEqual([]);
    expect(due).toEqual([
      {
        id: 'msg-1',
        route: 'default',
        status: 'sent',
        code: null,
        provider: 'twilio-main',
        attempt: 1,
        usedProviders: ['twilio-main'],
        expiresAt: null,
      },
    ]);
  });

  it('lists nothing without a timeout', async () => {
    await sentMessage();

    expect(await store.listDeliveryChecks(1_000_000, 10)).toEqual([]);
  });

  it('ends the check on delivered', async () => {
    await sentMessage(5_000);

    await store.recordDeliveryReport(report('delivered'));

    expect(await store.listDeliveryChecks(1_000_000, 10)).toEqual([]);
  });

  it('makes a failure due at once', async () => {
    await sentMessage(5_000);

    await store.recordDeliveryReport(report('undelivered'));
    const [check] = await store.listDeliveryChecks(2_000, 10);

    expect(check?.status).toBe('undelivered');
    expect(check?.code).toBe('provider_failure');
  });

  it('queues a resend and supersedes the attempt', async () => {
    await sentMessage();
    await store.recordDeliveryReport(report('undelivered'));

    const queued = await store.resendMessage(resend);
    const message = await store.getMessage('alerting', 'msg-1');
    const claimed = await store.claimDueMessages(3_000, 10);

    expect(queued).toBe(true);
    expect(message?.status).toBe('queued');
    expect(message?.possibleDuplicate).toBe(true);
    expect(message?.expiresAt).toBe(9_000);
    expect(message?.attempts[0]?.superseded).toBe(true);
    expect(message?.history.at(-1)?.code).toBe('resend_after_failure');
    expect(claimed.map((claim) => claim.id)).toEqual(['msg-1']);
    expect(await store.listDeliveryChecks(1_000_000, 10)).toEqual([]);
  });

  it('skips a resend after the status changed', async () => {
    await sentMessage();
    await store.recordDeliveryReport(report('undelivered'));
    await store.recordDeliveryReport(report('delivered', 2_500));

    const queued = await store.resendMessage(resend);

    expect(queued).toBe(false);
    expect((await store.getMessage('alerting', 'msg-1'))?.status).toBe('delivered');
  });

  it('ends a check without a resend', async () => {
    await sentMessage(5_000);

    await store.clearDeliveryCheck('msg-1');

    expect(await store.listDeliveryChecks(1_000_000, 10)).toEqual([]);
  });

  it('claims an undelivered message once', async () => {
    await sentMessage();
    await store.recordDeliveryReport(report('undelivered'));

    const first = await store.claimUndelivered('msg-1', 'undelivered');
    const second = await store.claimUndelivered('msg-1', 'undelivered');

    expect(first?.requestId).toBe('req-1');
    expect(first?.route).toBe('default');
    expect(first?.to).toBe('+14155550100');
    expect(first?.body).toBe('disk full');
    expect(first?.reference).toBeNull();
    expect(first?.attempts[0]?.delivery?.providerCode).toBe('30008');
    expect(second).toBeUndefined();
    expect(await store.listDeliveryChecks(1_000_000, 10)).toEqual([]);
  });

  it('skips a claim after the status changed', async () => {
    await sentMessage();
    await store.recordDeliveryReport(report('undelivered'));
    await store.recordDeliveryReport(report('delivered', 2_500));

    expect(await store.claimUndelivered('msg-1', 'undelivered')).toBeUndefined();
  });

  it('keeps an unclaimed failure due after a reopen', async () => {
    await sentMessage();
    await store.recordDeliveryReport(report('undelivered'));
    await store.close();

    store = new SqliteStore(join(directory, 'store.db'));
    const [check] = await store.listDeliveryChecks(2_000, 10);
    const claimed = await store.claimUndelivered('msg-1', 'undelivered');

    expect(check?.status).toBe('undelivered');
    expect(claimed?.id).toBe('msg-1');
  });

  it('requeues an interrupted resend of a sync message', async () => {
    await sentMessage();
    await store.recordDeliveryReport(report('undelivered'));
    await store.resendMessage(resend);
    await store.claimDueMessages(3_000, 10);
    await store.recordAttemptStart({
      messageId: 'msg-1',
      number: 2,
      provider: 'vonage-main',
      startedAt: 3_010,
      resend: true,
    });

    const recovery = await store.recoverInterrupted(4_000);

    expect(recovery.requeued).toEqual(['msg-1']);
    expect(recovery.interrupted).toEqual([]);
    const message = await store.getMessage('alerting', 'msg-1');
    expect(message?.status).toBe('queued');
    expect(message?.attempts[1]?.outcome).toBe('ambiguous');
    expect(message?.attempts[1]?.resend).toBe(true);
  });
});
