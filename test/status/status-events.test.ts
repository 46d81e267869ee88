import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import {
  ADMIN_TOKEN,
  createTestGateway,
  gatewayToml,
  type TestGateway,
} from '../helpers/gateway.js';

interface ServerSentEvent {
  readonly event: string;
  readonly data: unknown;
}

interface ProvidersEvent {
  providers: { id: string; state: string; drained: boolean }[];
  routes: { next_provider: string | null }[];
}

let relay: TestGateway;
let reader: ReadableStreamDefaultReader<Uint8Array>;
let buffered = '';

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  relay = createTestGateway(gatewayToml());
  const response = await relay.app.request('/status/events');
  expect(response.status).toBe(200);
  expect(response.headers.get('Content-Type')).toBe('text/event-stream');
  reader = (response.body as ReadableStream<Uint8Array>).getReader();
  buffered = '';
});

afterEach(async () => {
  await reader.cancel();
  vi.useRealTimers();
  await relay.close();
});

/** Reads until one whole push (a `providers` and a `health` event) has arrived. */
async function nextPush(): Promise<ServerSentEvent[]> {
  const decoder = new TextDecoder();
  while ((buffered.match(/\n\n/g) ?? []).length < 2) {
    const { done, value } = await reader.read();
    if (done) {
      throw new Error('the event stream ended');
    }
    buffered += decoder.decode(value);
  }
  const blocks = buffered.split('\n\n');
  buffered = blocks.slice(2).join('\n\n');
  return blocks.slice(0, 2).map(parseEvent);
}

function parseEvent(block: string): ServerSentEvent {
  const field = (name: string) =>
    block
      .split('\n')
      .filter((line) => line.startsWith(`${name}: `))
      .map((line) => line.slice(name.length + 2))
      .join('\n');
  return { event: field('event'), data: JSON.parse(field('data')) as unknown };
}

async function providersOf(push: Promise<ServerSentEvent[]>): Promise<ProvidersEvent> {
  const [providers] = await push;
  expect(providers?.event).toBe('providers');
  return providers?.data as ProvidersEvent;
}

function forceOpen(id: string) {
  return relay.app.request(`/admin/providers/${id}/open`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ reason: 'provider incident' }),
  });
}

describe('GET /status/events', () => {
  it('pushes the providers document and health at once', async () => {
    const [providers, health] = await nextPush();
    expect(providers?.event).toBe('providers');
    expect(Object.keys(providers?.data as object)).toEqual(['now', 'providers', 'routes']);
    expect(health).toEqual({ event: 'health', data: { status: 'ok' } });
  });

  it('pushes a breaker change after the debounce', async () => {
    await nextPush();
    await forceOpen('sim-a');
    let arrived = false;
    const push = nextPush().finally(() => {
      arrived = true;
    });

    await vi.advanceTimersByTimeAsync(200);
    expect(arrived).toBe(false);
    await vi.advanceTimersByTimeAsync(50);
    const document = await providersOf(push);
    expect(document.providers.find((entry) => entry.id === 'sim-a')?.state).toBe('open');
    expect(document.routes[0]?.next_provider).toBe('sim-b');
  });

  it('pushes a burst of changes once', async () => {
    await nextPush();
    await forceOpen('sim-a');
    await vi.advanceTimersByTimeAsync(100);
    await forceOpen('sim-b');
    await vi.advanceTimersByTimeAsync(150);
    const document = await providersOf(nextPush());
    expect(document.providers.map((entry) => entry.state)).toEqual(['open', 'open']);

    let again = false;
    const next = nextPush().finally(() => {
      again = true;
    });
    await vi.advanceTimersByTimeAsync(4000);
    expect(again).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    await next;
  });

  it('pushes every five seconds without changes', async () => {
    await nextPush();
    let arrived = false;
    const push = nextPush().finally(() => {
      arrived = true;
    });
    await vi.advanceTimersByTimeAsync(4900);
    expect(arrived).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    await push;
    expect(arrived).toBe(true);
  });

  it('answers HEAD without a stream', async () => {
    const fresh = createTestGateway(gatewayToml());
    const response = await fresh.app.request('/status/events', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('text/event-stream');
    // A stream would have subscribed to changes and, with no body to cancel, never ended.
    expect(fresh.gateway.stats.listenerCount('change')).toBe(0);
    await fresh.close();
  });

  it('ends when shutdown begins', async () => {
    await nextPush();
    relay.startDraining();
    await vi.advanceTimersByTimeAsync(1000);
    const { done } = await reader.read();
    expect(done).toBe(true);
  });
});
