import { afterEach, describe, expect, it, vi } from 'vitest';

import type { NewMessage, SqliteStore } from '../../src/store/index.js';
import { API_KEY, createTestGateway, gatewayToml, type TestGateway } from '../helpers/gateway.js';

interface View {
  status: string;
  code: string | null;
  provider: string | null;
  possible_duplicate: boolean;
  attempts: { number: number; provider: string; outcome: string | null }[];
}

let current: TestGateway | undefined;

afterEach(async () => {
  await current?.close();
  current = undefined;
});

function create(defaultRoute = 'providers = ["sim-a", "sim-b"]'): TestGateway {
  current = createTestGateway(
    gatewayToml({ defaultRoute, extra: '[queue]\npoll_interval_ms = 10' }),
  );
  return current;
}

/** Writes what a crash during the first attempt on sim-a leaves behind. */
async function leaveCrashedMessage(
  relay: TestGateway,
  overrides: Partial<NewMessage> = {},
): Promise<string> {
  const now = Date.now();
  await relay.gateway.store.createMessage({
    id: 'crashed-1',
    principal: 'alerting',
    requestId: 'req-1',
    mode: 'async',
    route: 'default',
    to: '+14155550100',
    body: 'db-1 down',
    from: undefined,
    reference: undefined,
    encoding: 'GSM-7',
    segments: 1,
    status: 'sending',
    createdAt: now,
    expiresAt: now + 60_000,
    callbackUrl: undefined,
    ...overrides,
  });
  if ((overrides.status ?? 'sending') === 'sending') {
    await relay.gateway.store.recordAttemptStart({
      messageId: 'crashed-1',
      number: 1,
      provider: 'sim-a',
      startedAt: now,
    });
  }
  return 'crashed-1';
}

async function view(relay: TestGateway, id: string): Promise<View> {
  const response = await relay.app.request(`/v1/messages/${id}`, {
    headers: { Authorization: `Bearer ${API_KEY}` },
  });
  return (await response.json()) as View;
}

describe('start-up recovery', () => {
  it('marks an open attempt ambiguous', async () => {
    const relay = create();
    const id = await leaveCrashedMessage(relay);

    const report = await relay.gateway.queue.start(() => undefined);

    expect(report.ambiguousAttempts).toBe(1);
    expect(report.requeued).toEqual([id]);
  });

  it('fails over and flags the resend', async () => {
    const relay = create();
    const id = await leaveCrashedMessage(relay);

    await relay.gateway.queue.start(() => undefined);
    await vi.waitFor(async () => expect((await view(relay, id)).status).toBe('sent'));
    const sent = await view(relay, id);

    expect(sent.provider).toBe('sim-b');
    expect(sent.possible_duplicate).toBe(true);
    expect(sent.attempts.map((attempt) => [attempt.provider, attempt.outcome])).toEqual([
      ['sim-a', 'ambiguous'],
      ['sim-b', 'sent'],
    ]);
    expect(relay.simulator('sim-a').sentCount).toBe(0);
  });

  it('stops when the route says so', async () => {
    const relay = create('providers = ["sim-a", "sim-b"]\non_ambiguous = "stop"');
    const id = await leaveCrashedMessage(relay);

    await relay.gateway.queue.start(() => undefined);
    await vi.waitFor(async () => expect((await view(relay, id)).status).toBe('failed'));
    const failed = await view(relay, id);

    expect(failed.code).toBe('outcome_unknown');
    expect(relay.simulator('sim-b').sentCount).toBe(0);
  });

  it('fails an interrupted sync message', async () => {
    const relay = create();
    const id = await leaveCrashedMessage(relay, { mode: 'sync', expiresAt: undefined });

    const report = await relay.gateway.queue.start(() => undefined);
    const failed = await view(relay, id);

    expect(report.interrupted).toEqual([id]);
    expect(failed.status).toBe('failed');
    expect(failed.code).toBe('interrupted');
    expect(relay.simulator('sim-b').sentCount).toBe(0);
  });

  it('flags an interrupted sync message after an open attempt', async () => {
    const relay = create();
    const id = await leaveCrashedMessage(relay, { mode: 'sync', expiresAt: undefined });

    await relay.gateway.queue.start(() => undefined);
    const failed = await view(relay, id);

    expect(failed.possible_duplicate).toBe(true);
    expect(failed.attempts.map((attempt) => attempt.outcome)).toEqual(['ambiguous']);
  });

  it('leaves an interrupted sync message without attempts unflagged', async () => {
    const relay = create();
    const id = await leaveCrashedMessage(relay, { mode: 'sync', expiresAt: undefined });
    const { db } = relay.gateway.store as SqliteStore;
    db.prepare('DELETE FROM attempts WHERE message_id = ?').run(id);

    await relay.gateway.queue.start(() => undefined);
    const failed = await view(relay, id);

    expect(failed.code).toBe('interrupted');
    expect(failed.possible_duplicate).toBe(false);
  });

  it('finishes a message a provider accepted', async () => {
    const relay = create();
    const id = await leaveCrashedMessage(relay);
    await relay.gateway.store.recordAttemptEnd({
      messageId: id,
      number: 1,
      outcome: 'sent',
      httpStatus: null,
      providerCode: null,
      durationMs: 5,
      endedAt: Date.now(),
    });

    const report = await relay.gateway.queue.start(() => undefined);
    const sent = await view(relay, id);

    expect(report.finished).toBe(1);
    expect(sent.status).toBe('sent');
    expect(sent.provider).toBe('sim-a');
    expect(relay.simulator('sim-b').sentCount).toBe(0);
  });

  it('resumes a queued message', async () => {
    const relay = create();
    const id = await leaveCrashedMessage(relay, { status: 'queued' });

    await relay.gateway.queue.start(() => undefined);
    await vi.waitFor(async () => expect((await view(relay, id)).status).toBe('sent'));
    const sent = await view(relay, id);

    expect(sent.possible_duplicate).toBe(false);
    expect(sent.provider).toBe('sim-a');
  });
});
