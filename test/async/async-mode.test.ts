import { afterEach, describe, expect, it, vi } from 'vitest';

import type { EscalationDeliveryEvent } from '../../src/events.js';
import { API_KEY, createTestGateway, gatewayToml, type TestGateway } from '../helpers/gateway.js';

const message = { to: '+14155550100', body: 'db-1 disk 97% full' };

// Short waits so that several sending passes run within a test.
const fastQueue = `
[queue]
poll_interval_ms = 10
`;
const fastRoute = `providers = ["sim-a", "sim-b"]
async_retry_initial_backoff_ms = 20
async_retry_max_backoff_ms = 40`;

interface View {
  id: string;
  status: string;
  code: string | null;
  provider: string | null;
  possible_duplicate: boolean;
  expires_at: string | null;
  status_history: { status: string; code: string | null }[];
  attempts: { provider: string; outcome: string | null }[];
  errors?: { path: string; code: string }[];
}

let current: TestGateway | undefined;

async function start(toml = gatewayToml({ defaultRoute: fastRoute, extra: fastQueue })) {
  current = createTestGateway(toml);
  await current.gateway.queue.start(() => undefined);
  return current;
}

afterEach(async () => {
  vi.useRealTimers();
  await current?.close();
  current = undefined;
});

async function view(relay: TestGateway, id: string): Promise<View> {
  const response = await relay.app.request(`/v1/messages/${id}`, {
    headers: { Authorization: `Bearer ${API_KEY}` },
  });
  return (await response.json()) as View;
}

async function sendAsync(relay: TestGateway, body: unknown = { ...message, mode: 'async' }) {
  const response = await relay.send(body);
  return { response, body: (await response.json()) as View };
}

function drainAll(relay: TestGateway): void {
  for (const slot of relay.gateway.slots.values()) {
    slot.drain();
  }
}

describe('async mode', () => {
  it('answers 202 with a Location', async () => {
    const relay = await start();

    const { response, body } = await sendAsync(relay);

    expect(response.status).toBe(202);
    expect(body.status).toBe('queued');
    expect(response.headers.get('Location')).toBe(`/v1/messages/${body.id}`);
    expect(body.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('takes Prefer: respond-async', async () => {
    const relay = await start();

    const response = await relay.send(message, { Prefer: 'wait=5, respond-async' });

    expect(response.status).toBe(202);
    expect(response.headers.get('Preference-Applied')).toBe('respond-async');
  });

  it('sends a queued message', async () => {
    const relay = await start();
    const { body } = await sendAsync(relay);

    await vi.waitFor(async () => expect((await view(relay, body.id)).status).toBe('sent'));

    expect(relay.simulator('sim-a').sentCount).toBe(1);
  });

  it('queues while every provider is down', async () => {
    const relay = await start();
    drainAll(relay);
    const { body } = await sendAsync(relay);
    await vi.waitFor(async () => {
      const queued = (await view(relay, body.id)).status_history.filter(
        (change) => change.status === 'queued',
      );
      expect(queued.length).toBeGreaterThanOrEqual(3);
    });

    const waiting = await view(relay, body.id);
    relay.gateway.slots.get('sim-b')?.restore();
    await vi.waitFor(async () => expect((await view(relay, body.id)).status).toBe('sent'));
    const sent = await view(relay, body.id);

    expect(waiting.status).toMatch(/^(queued|sending)$/);
    expect(waiting.attempts).toHaveLength(0);
    expect(sent.provider).toBe('sim-b');
    expect(relay.simulator('sim-b').sentCount).toBe(1);
  });

  it('escalates a message at expiry', async () => {
    const relay = await start();
    const escalations: EscalationDeliveryEvent[] = [];
    relay.gateway.events.on('escalation', (event) => escalations.push(event));
    drainAll(relay);
    const expiresAt = new Date(Date.now() + 200).toISOString();

    const { body } = await sendAsync(relay, { ...message, mode: 'async', expires_at: expiresAt });
    await vi.waitFor(async () => expect((await view(relay, body.id)).status).toBe('failed'));
    const failed = await view(relay, body.id);
    await vi.waitFor(() => expect(escalations.map((event) => event.message_id)).toContain(body.id));

    expect(failed.code).toBe('expired');
    expect(escalations.find((event) => event.message_id === body.id)?.kind).toBe(
      'message_escalation',
    );
    expect(relay.simulator('sim-a').sentCount).toBe(0);
  });

  it('fails an expired message from queued', async () => {
    const relay = createTestGateway(gatewayToml({ defaultRoute: fastRoute, extra: fastQueue }));
    current = relay;
    vi.useFakeTimers({ toFake: ['Date'] });
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const { body } = await sendAsync(relay, { ...message, mode: 'async', expires_at: expiresAt });
    vi.setSystemTime(Date.now() + 120_000);

    await relay.gateway.queue.start(() => undefined);
    await vi.waitFor(async () => expect((await view(relay, body.id)).status).toBe('failed'));
    const failed = await view(relay, body.id);

    expect(failed.code).toBe('expired');
    expect(failed.status_history.map(({ status, code }) => ({ status, code }))).toEqual([
      { status: 'queued', code: null },
      { status: 'failed', code: 'expired' },
    ]);
    expect(relay.simulator('sim-a').sentCount).toBe(0);
  });

  it('replays an async key without a second message', async () => {
    const relay = await start();
    const headers = { 'Idempotency-Key': 'async-1' };
    const first = await relay.send({ ...message, mode: 'async' }, headers);
    const firstBody = (await first.json()) as View;

    const second = await relay.send({ ...message, mode: 'async' }, headers);
    const secondBody = (await second.json()) as View;
    await vi.waitFor(async () => expect((await view(relay, firstBody.id)).status).toBe('sent'));

    expect(second.status).toBe(202);
    expect(secondBody.id).toBe(firstBody.id);
    expect(relay.simulator('sim-a').sentCount).toBe(1);
  });

  it('rejects expires_at in the past', async () => {
    const relay = await start();

    const { response, body } = await sendAsync(relay, {
      ...message,
      mode: 'async',
      expires_at: '2001-01-01T00:00:00Z',
    });

    expect(response.status).toBe(400);
    expect(body.errors?.[0]?.code).toBe('in_the_past');
  });

  it('takes expires_at with Prefer: respond-async', async () => {
    const relay = await start();
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();

    const response = await relay.send(
      { ...message, expires_at: expiresAt },
      { Prefer: 'respond-async' },
    );
    const body = (await response.json()) as View;

    expect(response.status).toBe(202);
    expect(body.expires_at).toBe(expiresAt);
  });

  it('rejects expires_at beyond 72 h', async () => {
    const relay = await start();
    const expiresAt = new Date(Date.now() + 73 * 3_600_000).toISOString();

    const { response, body } = await sendAsync(relay, {
      ...message,
      mode: 'async',
      expires_at: expiresAt,
    });
    const detail = (body as unknown as { detail: string }).detail;

    expect(response.status).toBe(400);
    expect(body.errors?.[0]?.path).toBe('expires_at');
    expect(body.errors?.[0]?.code).toBe('too_far_in_future');
    expect(detail).toContain('at most 72 h (259200000 ms)');
  });

  it('accepts expires_at within 72 h', async () => {
    const relay = await start();
    const expiresAt = new Date(Date.now() + 71 * 3_600_000).toISOString();

    const { response } = await sendAsync(relay, {
      ...message,
      mode: 'async',
      expires_at: expiresAt,
    });

    expect(response.status).toBe(202);
  });

  it('applies the maximum validity of the route', async () => {
    const route = `${fastRoute}\nasync_max_validity_ms = 7200000`;
    const relay = await start(gatewayToml({ defaultRoute: route, extra: fastQueue }));
    const expiresAt = new Date(Date.now() + 3 * 3_600_000).toISOString();

    const { response, body } = await sendAsync(relay, {
      ...message,
      mode: 'async',
      expires_at: expiresAt,
    });
    const detail = (body as unknown as { detail: string }).detail;

    expect(response.status).toBe(400);
    expect(detail).toContain('at most 2 h (7200000 ms) after the request on route "default"');
  });

  it('rejects a day that is not in the calendar', async () => {
    const relay = await start();

    const { response, body } = await sendAsync(relay, {
      ...message,
      mode: 'async',
      expires_at: '2999-02-30T10:00:00Z',
    });

    expect(response.status).toBe(400);
    expect(body.errors?.[0]?.code).toBe('invalid_time');
  });

  it('rejects expires_at on a sync message', async () => {
    const relay = await start();

    const { response, body } = await sendAsync(relay, {
      ...message,
      expires_at: '2999-01-01T00:00:00Z',
    });

    expect(response.status).toBe(400);
    expect(body.errors?.[0]?.code).toBe('async_only');
  });
});
