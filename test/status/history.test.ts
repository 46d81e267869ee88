import { afterEach, describe, expect, it } from 'vitest';

import type { AttemptOutcome } from '../../src/events.js';
import { AttemptWindow, WINDOW_MS } from '../../src/status/attempt-window.js';
import { HISTORY_LIMIT, StateHistory } from '../../src/status/state-history.js';
import {
  ADMIN_TOKEN,
  API_KEY,
  createTestGateway,
  gatewayToml,
  type TestGateway,
} from '../helpers/gateway.js';

function change(index: number) {
  return {
    at: new Date(index * 1000).toISOString(),
    from: 'closed',
    to: 'open',
    reason: `change ${index}`,
    principal: null,
  } as const;
}

describe('StateHistory', () => {
  it('keeps the last 100 changes', () => {
    const history = new StateHistory();
    for (let i = 1; i <= HISTORY_LIMIT + 5; i++) {
      history.add('sim-a', change(i));
    }
    const entries = history.list('sim-a');
    expect(entries).toHaveLength(100);
    expect(entries[0]?.reason).toBe('change 6');
    expect(entries.at(-1)?.reason).toBe('change 105');
  });

  it('keeps providers apart', () => {
    const history = new StateHistory();
    history.add('sim-a', change(1));
    expect(history.list('sim-b')).toEqual([]);
  });
});

describe('AttemptWindow', () => {
  function windowAt(clock: { now: number }) {
    return new AttemptWindow(() => clock.now);
  }

  it('drops attempts older than five minutes', () => {
    const clock = { now: 1_000_000 };
    const window = windowAt(clock);
    window.add('sim-a', 'transient', 10);
    clock.now += 60_000;
    window.add('sim-a', 'sent', 20);
    clock.now += WINDOW_MS - 30_000;

    const summary = window.summary('sim-a');
    expect(summary.attempts).toBe(1);
    expect(summary.counts.transient).toBe(0);
    expect(summary.counts.sent).toBe(1);
  });

  it('counts rejected as success and leaves throttled out', () => {
    const window = windowAt({ now: 0 });
    const outcomes: AttemptOutcome[] = ['sent', 'rejected', 'transient', 'throttled', 'throttled'];
    outcomes.forEach((outcome) => window.add('sim-a', outcome, 5));
    expect(window.summary('sim-a').success_rate).toBeCloseTo(2 / 3);
  });

  it('has no rate or latency without attempts', () => {
    const summary = windowAt({ now: 0 }).summary('sim-a');
    expect(summary.success_rate).toBeNull();
    expect(summary.latency_ms).toEqual({ p50: null, p95: null });
  });

  it('takes nearest-rank percentiles', () => {
    const window = windowAt({ now: 0 });
    for (let ms = 1; ms <= 20; ms++) {
      window.add('sim-a', 'sent', ms * 10);
    }
    expect(window.summary('sim-a').latency_ms).toEqual({ p50: 100, p95: 190 });
  });
});

describe('GET /v1/providers history', () => {
  let relay: TestGateway | undefined;

  afterEach(async () => {
    await relay?.close();
    relay = undefined;
  });

  async function document(gateway: TestGateway) {
    const response = await gateway.app.request('/v1/providers', {
      headers: { Authorization: `Bearer ${API_KEY}` },
    });
    return (await response.json()) as {
      now: string;
      providers: {
        id: string;
        history: { from: string; to: string; reason: string; at: string; principal: null }[];
        window: { attempts: number; success_rate: number | null; counts: Record<string, number> };
      }[];
      routes: { name: string; providers: string[]; next_provider: string | null }[];
    };
  }

  async function openSimA(gateway: TestGateway): Promise<void> {
    gateway.simulator('sim-a').simulate({ mode: 'transient' });
    for (let i = 0; i < 3; i++) {
      await gateway.send({ to: '+14155550100', body: 'db-1 disk 97% full' });
    }
  }

  it('lists the transition that opened a breaker', async () => {
    relay = createTestGateway(gatewayToml());
    await openSimA(relay);
    const simA = (await document(relay)).providers.find((entry) => entry.id === 'sim-a');
    expect(simA?.history).toHaveLength(1);
    expect(simA?.history[0]?.from).toBe('closed');
    expect(simA?.history[0]?.to).toBe('open');
    expect(simA?.history[0]?.reason).toBe('3 consecutive failures');
    expect(simA?.history[0]?.principal).toBeNull();
  });

  it('summarizes the last five minutes', async () => {
    relay = createTestGateway(gatewayToml());
    await openSimA(relay);
    const simA = (await document(relay)).providers.find((entry) => entry.id === 'sim-a');
    expect(simA?.window.attempts).toBe(3);
    expect(simA?.window.success_rate).toBe(0);
    expect(simA?.window.counts['transient']).toBe(3);
  });

  it('names the provider that would send now', async () => {
    relay = createTestGateway(gatewayToml());
    expect((await document(relay)).routes).toEqual([
      {
        name: 'default',
        providers: ['sim-a', 'sim-b'],
        next_provider: 'sim-a',
        available_at: null,
      },
    ]);
    await openSimA(relay);
    expect((await document(relay)).routes[0]?.next_provider).toBe('sim-b');
  });

  it('says when a route may send again', async () => {
    relay = createTestGateway(gatewayToml({ defaultRoute: 'providers = ["sim-a"]' }));
    await openSimA(relay);
    const body = await document(relay);
    const simA = relay.gateway.slots.get('sim-a');
    const route = body.routes[0] as Record<string, unknown>;
    expect(route['next_provider']).toBeNull();
    expect(route['available_at']).toBe(new Date(simA?.breaker.openUntil ?? 0).toISOString());
  });

  it('states the server time', async () => {
    relay = createTestGateway(gatewayToml());
    const before = Date.now();
    const { now } = await document(relay);
    expect(Date.parse(now)).toBeGreaterThanOrEqual(before);
  });

  it('has no route time while every provider is drained', async () => {
    relay = createTestGateway(gatewayToml());
    for (const id of ['sim-a', 'sim-b']) {
      await relay.app.request(`/admin/providers/${id}/drain`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ reason: 'maintenance' }),
      });
    }
    const route = (await document(relay)).routes[0] as Record<string, unknown>;
    expect(route['next_provider']).toBeNull();
    expect(route['available_at']).toBeNull();
  });
});
