import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { DeliveryReport } from '../../providers/delivery.js';
import {
  SqliteStore,
  type DeliveryReportOutcome,
  type NewDeliveryReport,
} from '../../src/store/index.js';

const SID = `SM${'a'.repeat(32)}`;

let directory: string;
let store: SqliteStore;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'sms-relay-delivery-store-'));
  store = new SqliteStore(join(directory, 'store.db'));
});

afterEach(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

function report(
  status: DeliveryReport['status'],
  overrides: Partial<NewDeliveryReport> = {},
): NewDeliveryReport {
  const failed = status === 'undelivered' || status === 'failed';
  return {
    providerMessageId: SID,
    status,
    providerStatus: status,
    providerCode: failed ? '30008' : null,
    failureClass: failed ? 'provider_failure' : null,
    source: 'twilio',
    providers: ['twilio-main'],
    receivedAt: 5_000,
    pendingUntil: 65_000,
    ...overrides,
  };
}

/** Writes a sync message with one attempt on `provider`, without its end. */
async function startMessage(provider = 'twilio-main'): Promise<void> {
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
    provider,
    startedAt: 1_010,
  });
}

async function endAttempt(endedAt = 1_050): Promise<void> {
  await store.recordAttemptEnd({
    messageId: 'msg-1',
    number: 1,
    outcome: 'sent',
    httpStatus: 201,
    providerCode: null,
    durationMs: endedAt - 1_010,
    endedAt,
    providerMessageId: SID,
  });
}

async function finish(at = 1_100, provider = 'twilio-main'): Promise<void> {
  await store.finishMessage('msg-1', {
    status: 'sent',
    code: null,
    provider,
    providerMessageId: SID,
    possibleDuplicate: false,
    at,
  });
}

async function sentMessage(): Promise<void> {
  await startMessage();
  await endAttempt();
  await finish();
}

/** Returns `outcome` as a recorded one, and fails the test when it is not. */
function recorded(
  outcome: DeliveryReportOutcome,
): Extract<DeliveryReportOutcome, { kind: 'recorded' }> {
  if (outcome.kind !== 'recorded') {
    throw new Error(`expected a recorded report, got ${outcome.kind}`);
  }
  return outcome;
}

async function history(): Promise<string[]> {
  const message = await store.getMessage('alerting', 'msg-1');
  return message?.history.map((change) => change.status) ?? [];
}

describe('delivery reports in the store', () => {
  it('stores the provider message id of the attempt', async () => {
    await sentMessage();

    const message = await store.getMessage('alerting', 'msg-1');

    expect(message?.attempts[0]?.providerMessageId).toBe(SID);
  });

  it('moves a sent message to delivered', async () => {
    await sentMessage();

    const outcome = await store.recordDeliveryReport(report('delivered'));

    expect(outcome).toEqual({
      kind: 'recorded',
      messageId: 'msg-1',
      attempt: 1,
      attemptChanged: true,
      messageChanged: true,
      messageStatus: 'delivered',
    });
    expect(await history()).toEqual(['sending', 'sent', 'delivered']);
  });

  it('writes the failure class and provider code', async () => {
    await sentMessage();

    await store.recordDeliveryReport(report('undelivered'));

    const message = await store.getMessage('alerting', 'msg-1');
    expect(message?.status).toBe('undelivered');
    expect(message?.code).toBe('provider_failure');
    expect(message?.history.at(-1)).toEqual({
      status: 'undelivered',
      code: 'provider_failure',
      providerCode: '30008',
      at: 5_000,
    });
    expect(message?.attempts[0]?.delivery).toEqual({
      status: 'undelivered',
      providerCode: '30008',
      failureClass: 'provider_failure',
      at: 5_000,
    });
  });

  it('recognises a repeated report', async () => {
    await sentMessage();
    await store.recordDeliveryReport(report('delivered'));

    const again = await store.recordDeliveryReport(report('delivered', { receivedAt: 6_000 }));

    expect(again).toEqual({ kind: 'duplicate' });
    expect(await history()).toEqual(['sending', 'sent', 'delivered']);
  });

  it('applies a verified report after an unverified twin', async () => {
    await startMessage('vonage-signed');
    await endAttempt();
    await finish(1_100, 'vonage-signed');
    const vonage = { source: 'vonage', providerStatus: 'delivered' } as const;

    const unsigned = await store.recordDeliveryReport(
      report('delivered', { ...vonage, providers: ['vonage-main'] }),
    );
    const signed = await store.recordDeliveryReport(
      report('delivered', { ...vonage, providers: ['vonage-signed'], receivedAt: 6_000 }),
    );

    expect(unsigned).toEqual({ kind: 'pending' });
    expect(recorded(signed).messageChanged).toBe(true);
    const message = await store.getMessage('alerting', 'msg-1');
    expect(message?.status).toBe('delivered');
  });

  it('cancels a queued resend on delivered', async () => {
    await sentMessage();
    await store.recordDeliveryReport(report('undelivered'));
    const queued = await store.resendMessage({
      id: 'msg-1',
      attempt: 1,
      expectedStatus: 'undelivered',
      code: 'resend_after_failure',
      at: 5_100,
      expiresAt: 90_000,
    });

    const delivered = await store.recordDeliveryReport(report('delivered', { receivedAt: 6_000 }));

    expect(queued).toBe(true);
    expect(recorded(delivered).messageChanged).toBe(true);
    expect(recorded(delivered).messageStatus).toBe('delivered');
    expect(await history()).toEqual(['sending', 'sent', 'undelivered', 'queued', 'delivered']);
    const message = await store.getMessage('alerting', 'msg-1');
    expect(message?.attempts[0]?.superseded).toBe(true);
    expect(message?.possibleDuplicate).toBe(false);
    expect(await store.claimDueMessages(100_000, 10)).toEqual([]);
    expect(await store.listDeliveryChecks(100_000, 10)).toEqual([]);
  });

  it('delivers after a resend pass ends', async () => {
    await sentMessage();
    await store.recordDeliveryReport(report('undelivered'));
    await store.resendMessage({
      id: 'msg-1',
      attempt: 1,
      expectedStatus: 'undelivered',
      code: 'resend_after_failure',
      at: 5_100,
      expiresAt: 90_000,
    });
    const [claimed] = await store.claimDueMessages(5_200, 10);

    const delivered = await store.recordDeliveryReport(report('delivered', { receivedAt: 6_000 }));
    const duringPass = await store.getMessage('alerting', 'msg-1');
    await store.recordAttemptStart({
      messageId: 'msg-1',
      number: 2,
      provider: 'vonage-main',
      startedAt: 6_100,
      resend: true,
    });
    await store.recordAttemptEnd({
      messageId: 'msg-1',
      number: 2,
      outcome: 'sent',
      httpStatus: 200,
      providerCode: null,
      durationMs: 50,
      endedAt: 6_150,
      providerMessageId: '0C0001',
    });
    await finish(6_200, 'vonage-main');
    const failed = await store.recordDeliveryReport(
      report('failed', {
        source: 'vonage',
        providers: ['vonage-main'],
        providerMessageId: '0C0001',
        providerCode: '8',
        receivedAt: 7_000,
      }),
    );

    expect(claimed?.id).toBe('msg-1');
    expect(recorded(delivered).messageChanged).toBe(false);
    expect(duringPass?.status).toBe('sending');
    expect(recorded(failed).messageChanged).toBe(false);
    const message = await store.getMessage('alerting', 'msg-1');
    expect(message?.status).toBe('delivered');
    expect(message?.attempts[1]?.delivery?.status).toBe('failed');
    expect(await history()).toEqual([
      'sending',
      'sent',
      'undelivered',
      'queued',
      'sending',
      'sent',
      'delivered',
    ]);
    expect(await store.listDeliveryChecks(100_000, 10)).toEqual([]);
  });

  it('never demotes delivered', async () => {
    await sentMessage();
    await store.recordDeliveryReport(report('delivered'));

    const late = await store.recordDeliveryReport(report('sent', { receivedAt: 6_000 }));
    const failed = await store.recordDeliveryReport(report('undelivered', { receivedAt: 7_000 }));

    expect(recorded(late).attemptChanged).toBe(false);
    expect(recorded(failed).messageChanged).toBe(false);
    const message = await store.getMessage('alerting', 'msg-1');
    expect(message?.status).toBe('delivered');
    expect(message?.attempts[0]?.delivery?.status).toBe('delivered');
  });

  it('lets a provider sent follow queued on the attempt only', async () => {
    await sentMessage();

    await store.recordDeliveryReport(report('queued'));
    const sent = await store.recordDeliveryReport(report('sent', { receivedAt: 6_000 }));

    expect(recorded(sent).attemptChanged).toBe(true);
    expect(recorded(sent).messageChanged).toBe(false);
    expect(await history()).toEqual(['sending', 'sent']);
  });

  it('keeps a report for an unknown id pending', async () => {
    const outcome = await store.recordDeliveryReport(report('delivered'));

    expect(outcome).toEqual({ kind: 'pending' });
  });

  it('applies a pending report once the send response is written', async () => {
    await startMessage();
    await store.recordDeliveryReport(report('delivered'));

    await endAttempt();
    const beforeFinish = await store.getMessage('alerting', 'msg-1');
    await finish();

    expect(beforeFinish?.status).toBe('sending');
    expect(beforeFinish?.attempts[0]?.delivery?.status).toBe('delivered');
    expect(await history()).toEqual(['sending', 'sent', 'delivered']);
  });

  it('applies pending reports in any order', async () => {
    await startMessage();
    await store.recordDeliveryReport(report('delivered', { receivedAt: 4_000 }));
    await store.recordDeliveryReport(report('sent', { receivedAt: 4_500 }));

    await endAttempt();
    await finish();

    const message = await store.getMessage('alerting', 'msg-1');
    expect(message?.status).toBe('delivered');
  });

  it('drops a pending report after it expires', async () => {
    await startMessage();
    await store.recordDeliveryReport(report('delivered', { pendingUntil: 1_020 }));

    await endAttempt(1_050);
    await finish();
    const pruned = await store.prune(0, 2_000);

    expect(await history()).toEqual(['sending', 'sent']);
    expect(pruned.pendingDeliveryReports).toBe(1);
  });

  it('ignores a report from another provider', async () => {
    await sentMessage();

    const outcome = await store.recordDeliveryReport(
      report('delivered', { source: 'vonage', providers: ['vonage-main'] }),
    );

    expect(outcome).toEqual({ kind: 'pending' });
    expect(await history()).toEqual(['sending', 'sent']);
  });

  it('applies a report to a sending message at finish', async () => {
    await startMessage();
    await endAttempt();

    const outcome = await store.recordDeliveryReport(report('undelivered'));
    await finish(1_100);

    expect(recorded(outcome).messageChanged).toBe(false);
    const message = await store.getMessage('alerting', 'msg-1');
    expect(message?.status).toBe('undelivered');
    expect(message?.history.at(-1)?.at).toBe(1_100);
  });

  it('finishes a recovered message with its id and delivery', async () => {
    await startMessage();
    await endAttempt();
    await store.recordDeliveryReport(report('delivered'));

    const recovery = await store.recoverInterrupted(9_000);

    expect(recovery.finished).toBe(1);
    const message = await store.getMessage('alerting', 'msg-1');
    expect(message?.providerMessageId).toBe(SID);
    expect(message?.status).toBe('delivered');
  });

  it('prunes delivered and undelivered messages', async () => {
    await sentMessage();
    await store.recordDeliveryReport(report('delivered'));

    const pruned = await store.prune(10_000, 10_000);

    expect(pruned.messages).toBe(1);
    expect(await store.getMessage('alerting', 'msg-1')).toBeUndefined();
  });
});
