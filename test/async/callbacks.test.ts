import { afterEach, describe, expect, it, vi } from 'vitest';

import { signWebhook, webhookHeaders } from '../../src/escalation/index.js';
import { createTestGateway, gatewayToml, type TestGateway } from '../helpers/gateway.js';
import { startFakeProvider, type FakeProvider } from '../helpers/provider-fakes.js';

const SECRET = 'callback-test-secret-0001';
const message = { to: '+14155550100', body: 'db-1 down' };

let receiver: FakeProvider;
let current: TestGateway | undefined;

afterEach(async () => {
  await current?.close();
  current = undefined;
  await receiver.close();
});

/** Starts a gateway whose escalation webhook secret signs callbacks, and a callback receiver. */
async function start(statuses: number[] = []): Promise<TestGateway> {
  receiver = await startFakeProvider((_request, index) => ({ status: statuses[index] ?? 200 }));
  const extra = `[escalation.webhook]
url = "${receiver.url}/escalations"
secret = "${SECRET}"

[queue]
poll_interval_ms = 10
`;
  current = createTestGateway(gatewayToml({ extra }));
  await current.gateway.queue.start(() => undefined);
  return current;
}

function callbackBody(index: number): Record<string, unknown> {
  return JSON.parse(receiver.requests[index]?.body ?? '{}') as Record<string, unknown>;
}

describe('status callbacks', () => {
  it('posts the end state of an async message', async () => {
    const relay = await start();
    const response = await relay.send({
      ...message,
      mode: 'async',
      callback_url: `${receiver.url}/status`,
    });
    const { id } = (await response.json()) as { id: string };

    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1));

    expect(receiver.requests[0]?.path).toBe('/status');
    expect(callbackBody(0)['message_id']).toBe(id);
    expect(callbackBody(0)['status']).toBe('sent');
  });

  it('signs like the escalation webhook', async () => {
    const relay = await start();
    await relay.send({ ...message, callback_url: `${receiver.url}/status` });

    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1));
    const request = receiver.requests[0];
    const timestamp = Number(request?.headers[webhookHeaders.timestamp.toLowerCase()]);
    const expected = signWebhook(SECRET, timestamp, Buffer.from(request?.body ?? ''));

    expect(request?.headers[webhookHeaders.signature.toLowerCase()]).toBe(expected);
  });

  it('retries after a server error', async () => {
    const relay = await start([503]);
    await relay.send({ ...message, callback_url: `${receiver.url}/status` });

    await vi.waitFor(() => expect(receiver.requests).toHaveLength(2), { timeout: 3000 });

    expect(callbackBody(1)['status']).toBe('sent');
  });

  it('rejects a callback_url that is not http', async () => {
    const relay = await start();

    const response = await relay.send({ ...message, callback_url: 'ftp://example.test/x' });

    expect(response.status).toBe(400);
    expect(receiver.requests).toHaveLength(0);
  });
});
