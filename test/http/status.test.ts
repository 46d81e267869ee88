import { afterEach, describe, expect, it } from 'vitest';

import {
  ADMIN_TOKEN,
  API_KEY,
  createTestGateway,
  gatewayToml,
  type TestGateway,
} from '../helpers/gateway.js';

const message = { to: '+14155550100', body: 'db-1 disk 97% full' };

// A twilio provider that no route uses; nothing sends through it, and its base URL is a closed
// loopback port in case something did.
const twilioProvider = `
[[providers]]
id = "twilio-main"
type = "twilio"
account_sid = "AC${'0'.repeat(32)}"
auth_token = "test-auth-token"
from = "+15005550006"
base_url = "http://127.0.0.1:9"
`;

let current: TestGateway | undefined;

function start(toml = gatewayToml()): TestGateway {
  current = createTestGateway(toml);
  return current;
}

afterEach(async () => {
  await current?.close();
  current = undefined;
});

/** Sends `count` messages; with the test config's threshold of 3, failures open breakers. */
async function sendMessages(relay: TestGateway, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await relay.send(message);
  }
}

function getProviders(relay: TestGateway, token = API_KEY): Promise<Response> {
  return Promise.resolve(
    relay.app.request('/v1/providers', { headers: { Authorization: `Bearer ${token}` } }),
  );
}

function simulate(relay: TestGateway, id: string, body: unknown, token = ADMIN_TOKEN) {
  return Promise.resolve(
    relay.app.request(`/admin/providers/${id}/simulate`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

interface ProviderEntry {
  id: string;
  type: string;
  state: string;
  since: string;
  open_until: string | null;
  consecutive_failures: number;
  counts: Record<string, number>;
  last_error: { outcome: string; http_status: number | null; message: string } | null;
}

async function providerEntry(relay: TestGateway, id: string): Promise<ProviderEntry | undefined> {
  const body = (await (await getProviders(relay)).json()) as { providers: ProviderEntry[] };
  return body.providers.find((provider) => provider.id === id);
}

describe('GET /health', () => {
  it('is ok while every provider is available', async () => {
    const relay = start();
    const response = await relay.app.request('/health');
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(body['status']).toBe('ok');
  });

  it('needs no credentials', async () => {
    const relay = start();
    const response = await relay.app.request('/health', {
      headers: { Authorization: 'Bearer wrong' },
    });
    expect(response.status).toBe(200);
  });

  it('is degraded when one breaker is open', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    await sendMessages(relay, 3);

    const response = await relay.app.request('/health');
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(body['status']).toBe('degraded');
    expect(body['providers']).toEqual({ 'sim-a': 'open', 'sim-b': 'available' });
  });

  it('is down with 503 when every breaker is open', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    relay.simulator('sim-b').simulate({ mode: 'transient' });
    await sendMessages(relay, 3);

    const response = await relay.app.request('/health');
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(503);
    expect(body['status']).toBe('down');
  });
});

describe('GET /v1/providers', () => {
  it('needs the API key', async () => {
    const relay = start();
    const response = await relay.app.request('/v1/providers');
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toMatch(/^Bearer\b/);
  });

  it('does not take the admin token', async () => {
    const relay = start();
    const response = await getProviders(relay, ADMIN_TOKEN);
    expect(response.status).toBe(401);
  });

  it('lists every provider', async () => {
    const relay = start();
    const response = await getProviders(relay);
    const body = (await response.json()) as { providers: ProviderEntry[] };
    expect(response.status).toBe(200);
    expect(body.providers.map((provider) => provider.id)).toEqual(['sim-a', 'sim-b']);
  });

  it('shows a closed breaker', async () => {
    const relay = start();
    await sendMessages(relay, 1);
    const entry = await providerEntry(relay, 'sim-a');
    expect(entry?.type).toBe('simulator');
    expect(entry?.state).toBe('closed');
    expect(Number.isNaN(Date.parse(entry?.since ?? ''))).toBe(false);
    expect(entry?.open_until).toBeNull();
    expect(entry?.consecutive_failures).toBe(0);
    expect(entry?.counts['sent']).toBe(1);
    expect(entry?.last_error).toBeNull();
  });

  it('shows an open breaker with its last error', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    const before = Date.now();
    await sendMessages(relay, 3);

    const entry = await providerEntry(relay, 'sim-a');
    expect(entry?.state).toBe('open');
    expect(Date.parse(entry?.since ?? '')).toBeGreaterThanOrEqual(before);
    // open_duration_ms in the test config is 60 s.
    expect(Date.parse(entry?.open_until ?? '') - Date.parse(entry?.since ?? '')).toBe(60_000);
    expect(entry?.counts['transient']).toBe(3);
    expect(entry?.last_error?.outcome).toBe('transient');
    expect(entry?.last_error?.http_status).toBe(503);
    expect(entry?.last_error?.message).toBe('simulated 503 Service Unavailable');
  });

  it('counts consecutive failures', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    await sendMessages(relay, 2);
    const entry = await providerEntry(relay, 'sim-a');
    expect(entry?.state).toBe('closed');
    expect(entry?.consecutive_failures).toBe(2);
  });

  it('counts the sends of the fallback provider', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    await sendMessages(relay, 2);
    const entry = await providerEntry(relay, 'sim-b');
    expect(entry?.counts['sent']).toBe(2);
    expect(entry?.counts['transient']).toBe(0);
  });
});

describe('POST /admin/providers/{id}/simulate', () => {
  it('needs the admin token', async () => {
    const relay = start();
    const response = await simulate(relay, 'sim-a', { mode: 'transient' }, API_KEY);
    expect(response.status).toBe(401);
    expect(relay.simulator('sim-a').settings.mode).toBe('ok');
  });

  it('rejects a request without a token', async () => {
    const relay = start();
    const response = await relay.app.request('/admin/providers/sim-a/simulate', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"mode":"transient"}',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toMatch(/^Bearer\b/);
  });

  it('changes the mode', async () => {
    const relay = start();
    const response = await simulate(relay, 'sim-a', { mode: 'transient', latency_ms: 5 });
    const body = (await response.json()) as { simulator: Record<string, unknown> };
    expect(response.status).toBe(200);
    expect(body.simulator).toEqual({ mode: 'transient', latency_ms: 5, failure_rate: 1 });
    expect(relay.simulator('sim-a').settings.mode).toBe('transient');
  });

  it('makes the next message fail over', async () => {
    const relay = start();
    await simulate(relay, 'sim-a', { mode: 'transient' });
    const response = await relay.send(message);
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(body['provider']).toBe('sim-b');
  });

  it('logs the change with the token name', async () => {
    const relay = start();
    await simulate(relay, 'sim-a', { mode: 'hang' });
    const line = relay.logLines().find((entry) => entry['msg'] === 'simulator changed');
    expect(line?.['principal']).toBe('ops');
    expect(line?.['mode']).toBe('hang');
    expect(relay.logText()).not.toContain(ADMIN_TOKEN);
  });

  it('names the allowed modes for an unknown mode', async () => {
    const relay = start();
    const response = await simulate(relay, 'sim-a', { mode: 'flaky' });
    const problem = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(400);
    expect(problem['code']).toBe('invalid_request');
    expect(problem['detail']).toContain('ok, transient, throttled, provider, rejected');
    expect(relay.simulator('sim-a').settings.mode).toBe('ok');
  });

  it.each([
    ['an unknown key', { mode: 'ok', colour: 'red' }],
    ['a failure rate over 1', { mode: 'transient', failure_rate: 1.5 }],
    ['a negative latency', { mode: 'ok', latency_ms: -1 }],
  ])('rejects %s', async (_case, body) => {
    const relay = start();
    const response = await simulate(relay, 'sim-a', body);
    expect(response.status).toBe(400);
  });

  it('rejects malformed JSON', async () => {
    const relay = start();
    const response = await relay.app.request('/admin/providers/sim-a/simulate', {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: '{"mode":',
    });
    const problem = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(400);
    expect(problem['code']).toBe('invalid_request');
  });

  it('returns 404 for an unknown provider', async () => {
    const relay = start();
    const response = await simulate(relay, 'sim-z', { mode: 'ok' });
    const problem = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(404);
    expect(response.headers.get('Content-Type')).toBe('application/problem+json');
    expect(problem['code']).toBe('not_found');
  });

  it('returns 409 for a non-simulator', async () => {
    const relay = start(gatewayToml({ extra: twilioProvider }));
    const response = await simulate(relay, 'twilio-main', { mode: 'transient' });
    const problem = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(409);
    expect(problem['code']).toBe('not_a_simulator');
  });
});
