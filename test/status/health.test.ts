import { afterEach, describe, expect, it } from 'vitest';

import {
  ADMIN_TOKEN,
  createTestGateway,
  gatewayToml,
  type TestGateway,
} from '../helpers/gateway.js';

let relay: TestGateway | undefined;

afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

function drain(gateway: TestGateway, id: string) {
  return gateway.app.request(`/admin/providers/${id}/drain`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ reason: 'maintenance' }),
  });
}

async function get(gateway: TestGateway, path: string) {
  const response = await gateway.app.request(path);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('GET /health/live', () => {
  it('answers 200 while every provider is drained', async () => {
    relay = createTestGateway(gatewayToml());
    await drain(relay, 'sim-a');
    await drain(relay, 'sim-b');
    const { status, body } = await get(relay, '/health/live');
    expect(status).toBe(200);
    expect(body['status']).toBe('live');
  });
});

describe('GET /health/ready', () => {
  it('is ready while one provider can send', async () => {
    relay = createTestGateway(gatewayToml());
    await drain(relay, 'sim-a');
    const { status, body } = await get(relay, '/health/ready');
    expect(status).toBe(200);
    expect(body['status']).toBe('ready');
    expect(body['default_route']).toEqual({ providers: 2, available: 1 });
  });

  it('answers 503 when no provider can send', async () => {
    relay = createTestGateway(gatewayToml());
    await drain(relay, 'sim-a');
    await drain(relay, 'sim-b');
    const { status, body } = await get(relay, '/health/ready');
    expect(status).toBe(503);
    expect(body['status']).toBe('not_ready');
  });
});

describe('GET /health', () => {
  it('reports a drained provider', async () => {
    relay = createTestGateway(gatewayToml());
    await drain(relay, 'sim-a');
    const { status, body } = await get(relay, '/health');
    expect(status).toBe(200);
    expect(body['status']).toBe('degraded');
    expect(body['providers']).toEqual({ 'sim-a': 'drained', 'sim-b': 'available' });
  });
});
