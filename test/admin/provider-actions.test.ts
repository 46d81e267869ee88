import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  ADMIN_TOKEN,
  API_KEY,
  createTestGateway,
  gatewayToml,
  type TestGateway,
} from '../helpers/gateway.js';

const message = { to: '+14155550100', body: 'db-1 disk 97% full' };
const actions = ['drain', 'restore', 'open', 'close', 'reset'] as const;

let current: TestGateway | undefined;

function start(toml = gatewayToml()): TestGateway {
  current = createTestGateway(toml);
  return current;
}

afterEach(async () => {
  vi.useRealTimers();
  await current?.close();
  current = undefined;
});

function act(relay: TestGateway, id: string, action: string, body: unknown, token = ADMIN_TOKEN) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token) {
    headers['Authorization'] = `Bearer ${token}`;
  }
  return Promise.resolve(
    relay.app.request(`/admin/providers/${id}/${action}`, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

async function sentBy(relay: TestGateway): Promise<unknown> {
  const response = await relay.send(message);
  return ((await response.json()) as Record<string, unknown>)['provider'];
}

async function failThreeTimes(relay: TestGateway, id: string): Promise<void> {
  relay.simulator(id).simulate({ mode: 'transient' });
  for (let i = 0; i < 3; i++) {
    await relay.send(message);
  }
  relay.simulator(id).simulate({ mode: 'ok' });
}

describe('drain and restore', () => {
  it('sends nothing to a drained provider', async () => {
    const relay = start();
    await act(relay, 'sim-a', 'drain', { reason: 'carrier maintenance' });
    const providers = [await sentBy(relay), await sentBy(relay), await sentBy(relay)];
    expect(providers).toEqual(['sim-b', 'sim-b', 'sim-b']);
    expect(relay.simulator('sim-a').sentCount).toBe(0);
    expect(relay.gateway.stats.window('sim-a').attempts).toBe(0);
  });

  it('sends to a restored provider again', async () => {
    const relay = start();
    await act(relay, 'sim-a', 'drain', { reason: 'carrier maintenance' });
    await act(relay, 'sim-a', 'restore', { reason: 'maintenance over' });
    expect(await sentBy(relay)).toBe('sim-a');
  });

  it('lets an attempt in flight finish', async () => {
    vi.useFakeTimers();
    const relay = start();
    relay.simulator('sim-a').simulate({ latency_ms: 1000 });
    const pending = relay.send(message);
    await vi.advanceTimersByTimeAsync(100);

    await act(relay, 'sim-a', 'drain', { reason: 'carrier maintenance' });
    await vi.advanceTimersByTimeAsync(1000);
    const body = (await (await pending).json()) as Record<string, unknown>;
    expect(body['provider']).toBe('sim-a');
    expect(relay.gateway.slots.get('sim-a')?.drained).toBe(true);
  });

  it('answers 503 when every provider is drained', async () => {
    const relay = start();
    await act(relay, 'sim-a', 'drain', { reason: 'maintenance' });
    await act(relay, 'sim-b', 'drain', { reason: 'maintenance' });
    const response = await relay.send(message);
    const problem = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(503);
    expect(problem['code']).toBe('no_provider_available');
    expect(response.headers.get('Retry-After')).toBe('1');
  });

  it('reports no change when already drained', async () => {
    const relay = start();
    await act(relay, 'sim-a', 'drain', { reason: 'maintenance' });
    const response = await act(relay, 'sim-a', 'drain', { reason: 'maintenance' });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(body['changed']).toBe(false);
    expect(relay.gateway.stats.history('sim-a')).toHaveLength(1);
  });

  it('adds drain and restore to the timeline', async () => {
    const relay = start();
    await act(relay, 'sim-a', 'drain', { reason: 'carrier maintenance' });
    await act(relay, 'sim-a', 'restore', { reason: 'maintenance over' });
    const history = relay.gateway.stats.history('sim-a');
    expect(history.map((change) => [change.from, change.to])).toEqual([
      ['closed', 'drained'],
      ['drained', 'closed'],
    ]);
    expect(history[0]?.reason).toBe('carrier maintenance');
    expect(history[1]?.principal).toBe('ops');
  });
});

describe('open, close and reset', () => {
  it('forces the breaker open', async () => {
    const relay = start();
    const response = await act(relay, 'sim-a', 'open', { reason: 'provider incident' });
    const body = (await response.json()) as { changed: boolean; provider: { state: string } };
    expect(body.changed).toBe(true);
    expect(body.provider.state).toBe('open');
    expect(await sentBy(relay)).toBe('sim-b');
  });

  it('attributes a forced open to the token', async () => {
    const relay = start();
    await act(relay, 'sim-a', 'open', { reason: 'provider incident' });
    const [change] = relay.gateway.stats.history('sim-a');
    expect(change?.to).toBe('open');
    expect(change?.reason).toBe('provider incident');
    expect(change?.principal).toBe('ops');
  });

  it('closes an open breaker', async () => {
    const relay = start();
    await failThreeTimes(relay, 'sim-a');
    expect(relay.gateway.slots.get('sim-a')?.breaker.state).toBe('open');

    const response = await act(relay, 'sim-a', 'close', { reason: 'fixed upstream' });
    const body = (await response.json()) as { changed: boolean; provider: { state: string } };
    expect(body.changed).toBe(true);
    expect(body.provider.state).toBe('closed');
    expect(await sentBy(relay)).toBe('sim-a');
  });

  it('resets counters and history', async () => {
    const relay = start();
    await failThreeTimes(relay, 'sim-a');
    const response = await act(relay, 'sim-a', 'reset', { reason: 'start over' });
    const body = (await response.json()) as { provider: Record<string, unknown> };
    const { provider } = body;
    expect(provider['state']).toBe('open');
    expect(provider['consecutive_failures']).toBe(0);
    expect(provider['opened_count']).toBe(0);
    expect(provider['counts']).toMatchObject({ transient: 0, sent: 0 });
    expect(provider['last_error']).toBeNull();
    expect(provider['history']).toEqual([]);
    expect(provider['window']).toMatchObject({ attempts: 0 });
  });
});

describe('access and input', () => {
  it.each(actions)('%s answers 401 without a token', async (action) => {
    const relay = start();
    const response = await act(relay, 'sim-a', action, { reason: 'try' }, '');
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toMatch(/^Bearer\b/);
  });

  it.each(actions)('%s answers 401 to an API key', async (action) => {
    const relay = start();
    const response = await act(relay, 'sim-a', action, { reason: 'try' }, API_KEY);
    expect(response.status).toBe(401);
  });

  it('changes nothing without the admin token', async () => {
    const relay = start();
    await failThreeTimes(relay, 'sim-a');
    for (const action of actions) {
      await act(relay, 'sim-a', action, { reason: 'try' }, '');
      await act(relay, 'sim-b', action, { reason: 'try' }, API_KEY);
    }
    const [a, b] = [relay.gateway.slots.get('sim-a'), relay.gateway.slots.get('sim-b')];
    expect(a?.breaker.state).toBe('open');
    expect(relay.gateway.stats.counts('sim-a').transient).toBe(3);
    expect(relay.gateway.stats.history('sim-a')).toHaveLength(1);
    expect(b?.drained).toBe(false);
    expect(b?.breaker.state).toBe('closed');
  });

  it.each([
    ['no reason', {}],
    ['an empty reason', { reason: '  ' }],
    ['a reason over 200 characters', { reason: 'x'.repeat(201) }],
    ['an unknown key', { reason: 'ok', until: '18:00' }],
    ['a control character', { reason: 'line\nbreak' }],
  ])('rejects %s', async (_case, body) => {
    const relay = start();
    const response = await act(relay, 'sim-a', 'drain', body);
    const problem = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(400);
    expect(problem['code']).toBe('invalid_request');
    expect(relay.gateway.slots.get('sim-a')?.drained).toBe(false);
  });

  it('rejects malformed JSON', async () => {
    const relay = start();
    const response = await act(relay, 'sim-a', 'drain', '{"reason":');
    expect(response.status).toBe(400);
  });

  it('returns 404 for an unknown provider', async () => {
    const relay = start();
    const response = await act(relay, 'sim-z', 'drain', { reason: 'maintenance' });
    expect(response.status).toBe(404);
  });

  it('answers 405 to a GET', async () => {
    const relay = start();
    const response = await relay.app.request('/admin/providers/sim-a/drain', {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe('POST');
  });
});

describe('audit log', () => {
  it('logs each action at warn', async () => {
    const relay = start();
    await act(relay, 'sim-a', 'drain', { reason: 'carrier maintenance' });
    const line = relay.logLines().find((entry) => entry['msg'] === 'admin action');
    expect(line?.['level']).toBe(40);
    expect(line?.['principal']).toBe('ops');
    expect(line?.['provider']).toBe('sim-a');
    expect(line?.['action']).toBe('drain');
    expect(line?.['reason']).toBe('carrier maintenance');
    expect(relay.logText()).not.toContain(ADMIN_TOKEN);
  });

  it('removes phone numbers from the reason', async () => {
    const relay = start();
    await act(relay, 'sim-a', 'drain', { reason: 'per call with +44 7700 900123' });
    expect(relay.gateway.stats.history('sim-a')[0]?.reason).toBe('per call with [number removed]');
    expect(relay.logText()).not.toContain('7700 900123');
  });
});
