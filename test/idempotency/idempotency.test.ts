import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  API_KEY,
  createTestGateway,
  gatewayToml,
  SECOND_API_KEY,
  type TestGateway,
} from '../helpers/gateway.js';

const message = { to: '+14155550100', body: 'db-1 disk 97% full' };
const DAY_MS = 24 * 60 * 60 * 1000;

interface Body {
  id?: string;
  code?: string;
  message_id?: string;
  request_id?: string;
  messages?: unknown[];
}

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

function sendWithKey(
  relay: TestGateway,
  key: string,
  body: unknown = message,
  apiKey = API_KEY,
): Promise<Response> {
  return relay.send(body, { 'Idempotency-Key': key, Authorization: `Bearer ${apiKey}` });
}

async function json(response: Response): Promise<Body> {
  return (await response.json()) as Body;
}

describe('Idempotency-Key', () => {
  it('replays the first response', async () => {
    const relay = start();
    const first = await sendWithKey(relay, 'key-1');
    const firstBody = await json(first);

    const second = await sendWithKey(relay, 'key-1');
    const secondBody = await json(second);

    expect(second.status).toBe(200);
    expect(secondBody).toEqual(firstBody);
    expect(second.headers.get('Idempotent-Replayed')).toBe('true');
    expect(first.headers.get('Idempotent-Replayed')).toBeNull();
    expect(relay.simulator('sim-a').sentCount).toBe(1);
  });

  it('replays a rejection without a second call', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'rejected' });
    const first = await sendWithKey(relay, 'key-1');
    relay.simulator('sim-a').simulate({ mode: 'ok' });

    const second = await sendWithKey(relay, 'key-1');

    expect(first.status).toBe(422);
    expect(second.status).toBe(422);
    expect(second.headers.get('Content-Type')).toBe('application/problem+json');
    expect(relay.simulator('sim-a').sentCount).toBe(0);
  });

  it('treats a reformatted number as the same request', async () => {
    const relay = start();
    await sendWithKey(relay, 'key-1');

    const second = await sendWithKey(relay, 'key-1', { ...message, to: '+1 (415) 555-0100' });

    expect(second.status).toBe(200);
    expect(second.headers.get('Idempotent-Replayed')).toBe('true');
  });

  it('answers 422 to another body', async () => {
    const relay = start();
    await sendWithKey(relay, 'key-1');

    const second = await sendWithKey(relay, 'key-1', { ...message, body: 'db-2 down' });

    expect(second.status).toBe(422);
    expect((await json(second)).code).toBe('idempotency_key_mismatch');
    expect(relay.simulator('sim-a').sentCount).toBe(1);
  });

  it('answers 409 while the first request runs', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ latency_ms: 200 });
    const first = sendWithKey(relay, 'key-1');
    await vi.waitFor(() => expect(relay.gateway.dispatcher.inFlight).toBe(1));

    const second = await sendWithKey(relay, 'key-1');
    const secondBody = await json(second);
    const firstBody = await json(await first);

    expect(second.status).toBe(409);
    expect(secondBody.code).toBe('idempotency_key_in_use');
    expect(secondBody.message_id).toBe(firstBody.id);
    expect(relay.simulator('sim-a').sentCount).toBe(1);
  });

  it('sends again once the key expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const relay = start();
    const first = await json(await sendWithKey(relay, 'key-1'));

    vi.setSystemTime(Date.now() + DAY_MS - 1);
    const replayed = await sendWithKey(relay, 'key-1');
    vi.setSystemTime(Date.now() + 1);
    const fresh = await sendWithKey(relay, 'key-1');

    expect(replayed.headers.get('Idempotent-Replayed')).toBe('true');
    expect(fresh.headers.get('Idempotent-Replayed')).toBeNull();
    expect((await json(fresh)).id).not.toBe(first.id);
    expect(relay.simulator('sim-a').sentCount).toBe(2);
  });

  it('keeps keys for the configured time', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const relay = start(gatewayToml({ extra: '[store]\nidempotency_ttl_ms = 60000' }));
    await sendWithKey(relay, 'key-1');

    vi.setSystemTime(Date.now() + 60_000);
    const second = await sendWithKey(relay, 'key-1');

    expect(second.headers.get('Idempotent-Replayed')).toBeNull();
    expect(relay.simulator('sim-a').sentCount).toBe(2);
  });

  it('scopes keys to the API key', async () => {
    const relay = start();
    const first = await json(await sendWithKey(relay, 'key-1'));

    const other = await sendWithKey(relay, 'key-1', message, SECOND_API_KEY);

    expect(other.headers.get('Idempotent-Replayed')).toBeNull();
    expect((await json(other)).id).not.toBe(first.id);
    expect(relay.simulator('sim-a').sentCount).toBe(2);
  });

  it('frees the key when no provider was called', async () => {
    const relay = start();
    for (const slot of relay.gateway.slots.values()) {
      slot.drain();
    }
    const first = await sendWithKey(relay, 'key-1');
    for (const slot of relay.gateway.slots.values()) {
      slot.restore();
    }

    const second = await sendWithKey(relay, 'key-1');

    expect(first.status).toBe(503);
    expect(second.status).toBe(200);
    expect(second.headers.get('Idempotent-Replayed')).toBeNull();
  });

  it('binds no key to an invalid request', async () => {
    const relay = start();
    const invalid = await sendWithKey(relay, 'key-1', { ...message, to: 'not a number' });

    const valid = await sendWithKey(relay, 'key-1');

    expect(invalid.status).toBe(400);
    expect(valid.status).toBe(200);
    expect(valid.headers.get('Idempotent-Replayed')).toBeNull();
  });

  it('answers 400 to a malformed key', async () => {
    const relay = start();

    const response = await sendWithKey(relay, 'has spaces in it');

    expect(response.status).toBe(400);
    expect(relay.simulator('sim-a').sentCount).toBe(0);
  });
});
