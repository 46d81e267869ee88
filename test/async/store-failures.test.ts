import { afterEach, describe, expect, it, vi } from 'vitest';

import type { SqliteStore } from '../../src/store/index.js';
import { API_KEY, createTestGateway, gatewayToml, type TestGateway } from '../helpers/gateway.js';

const message = { to: '+14155550100', body: 'db-1 down' };

interface View {
  status: string;
  provider: string | null;
  status_history: { status: string }[];
  attempts: { provider: string; outcome: string | null }[];
}

let current: TestGateway | undefined;

afterEach(async () => {
  await current?.close();
  current = undefined;
});

function create(toml: string): TestGateway {
  current = createTestGateway(toml);
  return current;
}

function fastConfig(): string {
  return gatewayToml({
    defaultRoute: `providers = ["sim-a", "sim-b"]
async_retry_initial_backoff_ms = 20
async_retry_max_backoff_ms = 40`,
    extra: '[queue]\npoll_interval_ms = 10',
  });
}

/**
 * Makes SQLite abort every write that matches `when` with an I/O error message, as a full disk
 * or a failing device would, until `heal` drops the trigger.
 */
function breakWrites(relay: TestGateway, table: string, event: string, when: string) {
  const { db } = relay.gateway.store as SqliteStore;
  db.exec(`CREATE TRIGGER simulated_failure BEFORE ${event} ON ${table} WHEN ${when}
    BEGIN SELECT RAISE(ABORT, 'simulated disk I/O error'); END`);
  return { heal: () => db.exec('DROP TRIGGER simulated_failure') };
}

async function view(relay: TestGateway, id: string): Promise<View> {
  const response = await relay.app.request(`/v1/messages/${id}`, {
    headers: { Authorization: `Bearer ${API_KEY}` },
  });
  return (await response.json()) as View;
}

async function sendAsync(relay: TestGateway): Promise<string> {
  const response = await relay.send({ ...message, mode: 'async' });
  return ((await response.json()) as { id: string }).id;
}

describe('queue sender after a failed store write', () => {
  it('requeues a message whose end was not written', async () => {
    const relay = create(fastConfig());
    const errors: { messageId: string | undefined; action: string | undefined }[] = [];
    await relay.gateway.queue.start((_error, messageId, action) =>
      errors.push({ messageId, action }),
    );
    const failure = breakWrites(relay, 'messages', 'UPDATE', "NEW.status = 'sent'");

    const id = await sendAsync(relay);
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0));
    failure.heal();
    await vi.waitFor(async () => expect((await view(relay, id)).status).toBe('sent'));
    const sent = await view(relay, id);

    expect(errors[0]).toEqual({ messageId: id, action: 'requeued' });
    expect(sent.status_history.map((change) => change.status)).toContain('queued');
    expect(sent.provider).toBe('sim-a');
    expect(sent.attempts).toEqual([
      expect.objectContaining({ provider: 'sim-a', outcome: 'sent' }),
    ]);
    expect(relay.simulator('sim-a').sentCount).toBe(1);
    expect(relay.simulator('sim-b').sentCount).toBe(0);
  });

  it('retries a requeue that failed too', async () => {
    const relay = create(fastConfig());
    const actions: (string | undefined)[] = [];
    await relay.gateway.queue.start((_error, _messageId, action) => actions.push(action));
    const failure = breakWrites(relay, 'messages', 'UPDATE', "NEW.status IN ('sent', 'queued')");

    const id = await sendAsync(relay);
    await vi.waitFor(() => expect(actions).toContain('requeue_failed'));
    const stuck = await view(relay, id);
    failure.heal();
    await vi.waitFor(async () => expect((await view(relay, id)).status).toBe('sent'));

    expect(stuck.status).toBe('sending');
    expect(relay.simulator('sim-a').sentCount).toBe(1);
    expect(relay.simulator('sim-b').sentCount).toBe(0);
  });
});

describe('attempt start that cannot be written', () => {
  it('calls no provider', async () => {
    const relay = create(fastConfig());
    breakWrites(relay, 'attempts', 'INSERT', '1');

    const response = await relay.send(message);

    expect(response.status).toBe(500);
    expect(relay.simulator('sim-a').sentCount).toBe(0);
    expect(relay.simulator('sim-b').sentCount).toBe(0);
  });

  it('frees the half-open trial', async () => {
    const toml = fastConfig().replace('open_duration_ms = 60000', 'open_duration_ms = 1');
    const relay = create(toml);
    const breaker = relay.gateway.slots.get('sim-a')?.breaker;
    breaker?.forceOpen('test');
    await vi.waitFor(() => expect(breaker?.state).toBe('half_open'));
    const failure = breakWrites(relay, 'attempts', 'INSERT', '1');

    const failed = await relay.send(message);
    const availableAfterFailure = breaker?.available;
    failure.heal();
    const sent = await relay.send(message);
    const body = (await sent.json()) as { provider: string };

    expect(failed.status).toBe(500);
    expect(availableAfterFailure).toBe(true);
    expect(body.provider).toBe('sim-a');
    expect(breaker?.state).toBe('half_open');
  });
});
