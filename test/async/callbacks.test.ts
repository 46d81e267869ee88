import { rmSync } from 'node:fs';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { signWebhook, webhookHeaders } from '../../src/escalation/index.js';
import type { NewMessage, SqliteStore } from '../../src/store/index.js';
import { createTestGateway, gatewayToml, type TestGateway } from '../helpers/gateway.js';
import {
  delay,
  startFakeProvider,
  type FakeProvider,
  type ReceivedRequest,
  type Responder,
} from '../helpers/provider-fakes.js';

const SECRET = 'callback-test-secret-0001';
const message = { to: '+14155550100', body: 'db-1 down', reference: 'alert-7' };

/** A callback body as the receiver got it. */
interface Posted {
  event: string;
  event_id: string;
  message_id: string;
  status: string;
  code: string | null;
  provider: string | null;
  provider_message_id: string | null;
  possible_duplicate: boolean;
  reference: string | null;
  at: string;
}

/** A `callback_deliveries` row. */
interface DeliveryRow {
  event_id: string;
  state: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
}

let receiver: FakeProvider;
const cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

async function startReceiver(respond: Responder = () => ({ status: 200 })): Promise<FakeProvider> {
  receiver = await startFakeProvider(respond);
  cleanup.push(() => receiver.close());
  return receiver;
}

/**
 * Returns a gateway config with fast queue and callback timings. The escalation webhook secret
 * signs callbacks unless `signed` is false; `callbacks` adds keys to `[callbacks]`.
 */
function config(
  options: { signed?: boolean; callbacks?: string; defaultRoute?: string } = {},
): string {
  const webhook = `[escalation.webhook]
url = "${receiver.url}/escalations"
secret = "${SECRET}"
`;
  const extra = `${options.signed === false ? '' : webhook}
[queue]
poll_interval_ms = 10

[callbacks]
poll_interval_ms = 10
initial_backoff_ms = 1
${options.callbacks ?? ''}
`;
  const defaultRoute =
    options.defaultRoute ??
    `providers = ["sim-a", "sim-b"]
async_retry_initial_backoff_ms = 20
async_retry_max_backoff_ms = 40`;
  return gatewayToml({ defaultRoute, extra });
}

/**
 * Creates a gateway and starts its queue sender and callback sender, as `startServer` does.
 * Closes it after the test. A gateway opened on an existing `dataDir` leaves the directory.
 */
async function start(toml: string, dataDir?: string): Promise<TestGateway> {
  const relay = createTestGateway(toml, dataDir === undefined ? {} : { dataDir });
  cleanup.push(() => relay.close());
  await relay.gateway.queue.start(() => undefined);
  await relay.gateway.callbacks.start(() => undefined);
  return relay;
}

function posted(index: number): Posted {
  return JSON.parse(receiver.requests[index]?.body ?? '{}') as Posted;
}

function postedStatuses(): string[] {
  return receiver.requests.map((request) => (JSON.parse(request.body) as Posted).status);
}

function header(request: ReceivedRequest | undefined, name: string): string | undefined {
  const value = request?.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function deliveryRows(relay: TestGateway): DeliveryRow[] {
  const { db } = relay.gateway.store as SqliteStore;
  return db
    .prepare(
      'SELECT event_id, state, attempts, next_attempt_at, last_error FROM callback_deliveries ORDER BY seq',
    )
    .all() as DeliveryRow[];
}

async function sendWithCallback(relay: TestGateway, extra: Record<string, unknown> = {}) {
  const response = await relay.send({
    ...message,
    callback_url: `${receiver.url}/status`,
    ...extra,
  });
  return {
    response,
    body: (await response.json()) as { id: string; provider_message_id?: string },
  };
}

describe('status callbacks', () => {
  it('posts the end state of a sync message', async () => {
    await startReceiver();
    const relay = await start(config());

    const { response, body } = await sendWithCallback(relay);
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1));

    expect(response.status).toBe(200);
    expect(receiver.requests[0]?.path).toBe('/status');
    expect(posted(0).event).toBe('message.status');
    expect(posted(0).event_id).toBe(`${body.id}:2`);
    expect(posted(0).message_id).toBe(body.id);
    expect(posted(0).status).toBe('sent');
    expect(posted(0).provider).toBe('sim-a');
    expect(posted(0).provider_message_id).toBe(body.provider_message_id);
    expect(posted(0).reference).toBe('alert-7');
  });

  it('posts every change in order, signed', async () => {
    await startReceiver();
    const relay = await start(config());
    relay.gateway.slots.get('sim-a')?.drain();
    relay.gateway.slots.get('sim-b')?.drain();

    const { body } = await sendWithCallback(relay, { mode: 'async' });
    await receiver.arrivals(2);
    relay.gateway.slots.get('sim-a')?.restore();
    await vi.waitFor(() => expect(postedStatuses().at(-1)).toBe('sent'));
    const statuses = postedStatuses();
    // Each pass that found no provider posts `sending` and then `queued`, and the last pass `sent`.
    const passes = (statuses.length - 2) / 2;
    const expected = Array.from({ length: passes }, () => ['sending', 'queued']).flat();

    expect(passes).toBeGreaterThanOrEqual(1);
    expect(statuses).toEqual([...expected, 'sending', 'sent']);
    receiver.requests.forEach((request, index) => {
      const timestamp = Number(header(request, webhookHeaders.timestamp));
      const signature = signWebhook(SECRET, timestamp, Buffer.from(request.body));
      expect(header(request, webhookHeaders.signature), `signature ${index}`).toBe(signature);
      expect(posted(index).event_id, `event id ${index}`).toBe(`${body.id}:${index + 2}`);
      expect(header(request, webhookHeaders.eventId), `header ${index}`).toBe(
        posted(index).event_id,
      );
    });
  });

  it('sends unsigned without a webhook secret', async () => {
    await startReceiver();
    const relay = await start(config({ signed: false }));

    await sendWithCallback(relay);
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1));

    expect(header(receiver.requests[0], webhookHeaders.signature)).toBeUndefined();
    expect(header(receiver.requests[0], webhookHeaders.timestamp)).toBeUndefined();
    expect(header(receiver.requests[0], webhookHeaders.eventId)).toBe(posted(0).event_id);
  });

  it('retries after HTTP 500', async () => {
    await startReceiver((_request, index) => ({ status: index === 0 ? 500 : 200 }));
    const relay = await start(config());

    await sendWithCallback(relay);
    await vi.waitFor(() => expect(deliveryRows(relay)[0]?.state).toBe('delivered'));
    const [row] = deliveryRows(relay);

    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1]?.body).toBe(receiver.requests[0]?.body);
    expect(row?.attempts).toBe(2);
    expect(relay.logText()).toContain('status callback failed, retry scheduled');
    expect(relay.logText()).toContain('status callback delivered');
  });

  it('holds later changes behind a retry', async () => {
    await startReceiver((_request, index) => ({ status: index === 0 ? 503 : 200 }));
    const relay = await start(config());

    await sendWithCallback(relay, { mode: 'async' });
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(3));

    expect(postedStatuses()).toEqual(['sending', 'sending', 'sent']);
  });

  it('stores the wait that Retry-After asks for', async () => {
    await startReceiver(() => ({ status: 429, headers: { 'Retry-After': '3600' } }));
    const relay = await start(config({ callbacks: 'max_backoff_ms = 7200000' }));

    const before = Date.now();
    await sendWithCallback(relay);
    await vi.waitFor(() => expect(deliveryRows(relay)[0]?.last_error).toBe('HTTP 429'));
    const [row] = deliveryRows(relay);

    expect(receiver.requests).toHaveLength(1);
    expect(row?.state).toBe('pending');
    expect(row?.attempts).toBe(1);
    expect(row?.next_attempt_at).toBeGreaterThanOrEqual(before + 3_600_000);
  });

  it('gives up on HTTP 410 and moves on', async () => {
    await startReceiver((_request, index) => ({ status: index === 0 ? 410 : 200 }));
    const relay = await start(config());

    await sendWithCallback(relay, { mode: 'async' });
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(2));
    await vi.waitFor(() => expect(deliveryRows(relay)[1]?.state).toBe('delivered'));
    const metrics = await relay.gateway.metrics.render();

    expect(postedStatuses()).toEqual(['sending', 'sent']);
    expect(deliveryRows(relay)[0]?.state).toBe('gave_up');
    expect(relay.logText()).toContain('"reason":"not_retryable"');
    expect(metrics).toContain('sms_relay_callbacks_total{outcome="gave_up"} 1');
  });

  it('gives up after max_attempts', async () => {
    await startReceiver(() => ({ status: 503 }));
    const relay = await start(config({ callbacks: 'max_attempts = 3' }));

    await sendWithCallback(relay);
    await vi.waitFor(() => expect(deliveryRows(relay)[0]?.state).toBe('gave_up'));

    expect(receiver.requests).toHaveLength(3);
    expect(deliveryRows(relay)[0]?.attempts).toBe(3);
    expect(relay.logText()).toContain('"reason":"max_attempts"');
  });

  it('gives up after max_age_ms', async () => {
    await startReceiver(() => ({ status: 503, delayMs: 20 }));
    const relay = await start(config({ callbacks: 'max_age_ms = 1' }));

    await sendWithCallback(relay);
    await vi.waitFor(() => expect(deliveryRows(relay)[0]?.state).toBe('gave_up'));

    expect(receiver.requests).toHaveLength(1);
    expect(relay.logText()).toContain('"reason":"max_age"');
  });

  it('posts at most concurrency at once', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    await startReceiver(async () => {
      await released;
      return { status: 200 };
    });
    const relay = await start(config({ callbacks: 'concurrency = 2' }));

    for (let index = 0; index < 5; index += 1) {
      await sendWithCallback(relay);
    }
    await receiver.arrivals(2);
    await delay(100);
    const whileHeld = receiver.requests.length;
    release();
    await receiver.arrivals(5);

    expect(whileHeld).toBe(2);
  });
});

describe('status callbacks across a restart', () => {
  it('delivers a pending retry after a restart', async () => {
    await startReceiver((_request, index) =>
      index === 0 ? { status: 503, headers: { 'Retry-After': '1' } } : { status: 200 },
    );
    const toml = config();
    const first = await start(toml);
    const { body } = await sendWithCallback(first);
    await vi.waitFor(() => expect(deliveryRows(first)[0]?.last_error).toBe('HTTP 503'));
    await first.gateway.close();

    const second = await start(toml, first.dataDir);
    await vi.waitFor(() => expect(deliveryRows(second)[0]?.state).toBe('delivered'), {
      timeout: 5000,
    });

    expect(receiver.requests).toHaveLength(2);
    expect(posted(1).event_id).toBe(`${body.id}:2`);
    expect(receiver.requests[1]?.body).toBe(receiver.requests[0]?.body);
  });

  it('posts again a request cut short by shutdown', async () => {
    await startReceiver((_request, index) => (index === 0 ? 'hang' : { status: 200 }));
    const toml = config();
    const first = await start(toml);
    await sendWithCallback(first);
    await receiver.arrivals(1);
    await first.gateway.close({ timeoutMs: 50 });

    const second = await start(toml, first.dataDir);
    await vi.waitFor(() => expect(deliveryRows(second)[0]?.state).toBe('delivered'));

    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1]?.body).toBe(receiver.requests[0]?.body);
    expect(first.logText()).toContain('request aborted by shutdown');
  });

  it('posts again a claim left by a crash', async () => {
    await startReceiver();
    const toml = config();
    // This gateway's sender never starts, as if the process died right after the claim below.
    const first = createTestGateway(toml);
    cleanup.push(() => rmSync(first.dataDir, { recursive: true, force: true }));
    await sendWithCallback(first);
    const now = Date.now();
    const claimed = await first.gateway.store.claimDueCallbacks(now, 10, now + 60_000);
    await first.gateway.close();

    const relay = createTestGateway(toml, { dataDir: first.dataDir });
    cleanup.push(() => relay.close());
    const released = await relay.gateway.callbacks.start(() => undefined);
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1));

    expect(claimed).toHaveLength(1);
    expect(released).toBe(1);
    expect(posted(0).event_id).toBe(claimed[0]?.eventId);
  });
});

describe('status callbacks after recovery', () => {
  /** Writes a message as a crash during its first attempt on sim-a leaves it. */
  async function leaveCrashedMessage(relay: TestGateway, overrides: Partial<NewMessage>) {
    const now = Date.now();
    await relay.gateway.store.createMessage({
      id: 'crashed-1',
      principal: 'alerting',
      requestId: 'req-1',
      mode: 'sync',
      route: 'default',
      to: '+14155550100',
      body: 'db-1 down',
      from: undefined,
      reference: undefined,
      encoding: 'GSM-7',
      segments: 1,
      status: 'sending',
      createdAt: now,
      expiresAt: undefined,
      callbackUrl: `${receiver.url}/status`,
      ...overrides,
    });
    await relay.gateway.store.recordAttemptStart({
      messageId: 'crashed-1',
      number: 1,
      provider: 'sim-a',
      startedAt: now,
    });
  }

  it('posts an interrupted sync message', async () => {
    await startReceiver();
    const relay = createTestGateway(config());
    cleanup.push(() => relay.close());
    await leaveCrashedMessage(relay, {});

    await relay.gateway.queue.start(() => undefined);
    await relay.gateway.callbacks.start(() => undefined);
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1));

    expect(posted(0).status).toBe('failed');
    expect(posted(0).code).toBe('interrupted');
    expect(posted(0).possible_duplicate).toBe(true);
  });

  it('posts a message finished as sent', async () => {
    await startReceiver();
    const relay = createTestGateway(config());
    cleanup.push(() => relay.close());
    await leaveCrashedMessage(relay, { mode: 'async', expiresAt: Date.now() + 60_000 });
    await relay.gateway.store.recordAttemptEnd({
      messageId: 'crashed-1',
      number: 1,
      outcome: 'sent',
      httpStatus: null,
      providerCode: null,
      durationMs: 5,
      endedAt: Date.now(),
    });

    await relay.gateway.queue.start(() => undefined);
    await relay.gateway.callbacks.start(() => undefined);
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1));

    expect(posted(0).status).toBe('sent');
    expect(posted(0).code).toBe('recovered');
    expect(posted(0).provider).toBe('sim-a');
  });

  it('posts each pass of a requeued message', async () => {
    await startReceiver();
    const relay = createTestGateway(config());
    cleanup.push(() => relay.close());
    await leaveCrashedMessage(relay, { mode: 'async', expiresAt: Date.now() + 60_000 });

    await relay.gateway.queue.start(() => undefined);
    await relay.gateway.callbacks.start(() => undefined);
    await vi.waitFor(() => expect(postedStatuses().at(-1)).toBe('sent'));

    expect(postedStatuses()).toEqual(['queued', 'sending', 'sent']);
    expect(posted(0).code).toBe('recovered');
    expect(posted(2).provider).toBe('sim-b');
    expect(posted(2).possible_duplicate).toBe(true);
  });
});
