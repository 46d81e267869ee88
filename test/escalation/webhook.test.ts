import { afterEach, describe, expect, it, vi } from 'vitest';

import { freePort } from '../helpers/gateway.js';
import {
  BODY,
  deliveriesOf,
  failBothProviders,
  MASKED_RECIPIENT,
  RECIPIENT,
  startRelay,
  waitForDelivery,
  WEBHOOK_SECRET,
  webhookKeys,
  type EscalationRelay,
} from './helpers/relay.js';
import { runUntil, settle } from './helpers/time.js';
import {
  startWebhookReceiver,
  verifySignature,
  type Reply,
  type WebhookReceiver,
} from './helpers/webhook.js';

const message = { to: RECIPIENT, body: BODY };

let relay: EscalationRelay | undefined;
let receiver: WebhookReceiver | undefined;

afterEach(async () => {
  if (vi.isFakeTimers() && relay !== undefined) {
    // Timers made while time was fake never fire once it is real: end the deliveries first.
    await settle(relay.gateway.escalator.flush(100));
  }
  vi.useRealTimers();
  await relay?.close();
  await receiver?.close();
  relay = undefined;
  receiver = undefined;
});

/** Starts a failing gateway and a receiver that replies with `replies` in turn, then 200. */
async function startWebhookRelay(
  replies: readonly Reply[] = [],
  webhookExtra = '',
  random?: () => number,
): Promise<{ relay: EscalationRelay; receiver: WebhookReceiver }> {
  receiver = await startWebhookReceiver((index) => replies[index] ?? 200);
  relay = startRelay(
    { escalate: '["error_log", "webhook"]', webhook: webhookKeys(receiver.url, webhookExtra) },
    random === undefined ? {} : { random },
  );
  failBothProviders(relay);
  return { relay, receiver };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

describe('webhook escalation', () => {
  it('posts a signed JSON event', async () => {
    const { relay, receiver } = await startWebhookRelay();
    await relay.send(message);
    const [request] = await receiver.waitForRequests(1);

    expect(request?.method).toBe('POST');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(verifySignature(WEBHOOK_SECRET, request!.headers, request!.body, nowSeconds())).toBe(
      true,
    );
  });

  it('rejects the signature with another secret', async () => {
    const { relay, receiver } = await startWebhookRelay();
    await relay.send(message);
    const [request] = await receiver.waitForRequests(1);
    expect(
      verifySignature('another-secret-0123456', request!.headers, request!.body, nowSeconds()),
    ).toBe(false);
  });

  it('carries the message with a masked recipient', async () => {
    const { relay, receiver } = await startWebhookRelay();
    const problem = (await (await relay.send(message)).json()) as { id: string };
    const [request] = await receiver.waitForRequests(1);
    const event = JSON.parse(request!.body.toString('utf8')) as Record<string, unknown>;

    expect(event['type']).toBe('message_escalation');
    expect(event['message_id']).toBe(problem.id);
    expect(event['recipient']).toBe(MASKED_RECIPIENT);
    expect(event['body']).toBe(BODY);
    expect(request?.headers['x-sms-relay-event-id']).toBe(event['event_id']);
  });

  it('carries the full recipient when configured', async () => {
    const { relay, receiver } = await startWebhookRelay([], 'include_full_recipient = true');
    await relay.send(message);
    const [request] = await receiver.waitForRequests(1);
    expect(JSON.parse(request!.body.toString('utf8'))).toMatchObject({ recipient: RECIPIENT });
  });

  it('matches the error log line', async () => {
    const { relay, receiver } = await startWebhookRelay();
    await relay.send(message);
    const [request] = await receiver.waitForRequests(1);
    await relay.gateway.escalator.flush();
    expect(JSON.parse(request!.body.toString('utf8'))).toEqual(relay.errorLogLines()[0]);
  });
});

describe('webhook retries', () => {
  it('resends identical bytes after a 500', async () => {
    const { relay, receiver } = await startWebhookRelay([500, 503]);
    await relay.send(message);
    const requests = await receiver.waitForRequests(3);
    await relay.gateway.escalator.flush();

    const [first, ...retries] = requests;
    for (const retry of retries) {
      expect(retry.body.equals(first!.body)).toBe(true);
      expect(retry.headers['x-sms-relay-event-id']).toBe(first?.headers['x-sms-relay-event-id']);
      expect(verifySignature(WEBHOOK_SECRET, retry.headers, retry.body, nowSeconds())).toBe(true);
    }
    expect(deliveriesOf(relay, 'webhook').map((event) => event.outcome)).toEqual([
      'failed_retryable',
      'failed_retryable',
      'delivered',
    ]);
  });

  it('signs each retry with a fresh timestamp', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    // A jitter of 0.5 makes the first backoff half of initial_backoff_ms: 2 s.
    const { relay, receiver } = await startWebhookRelay(
      [500],
      'initial_backoff_ms = 4000',
      () => 0.5,
    );
    await settle(relay.send(message));
    await runUntil(() => receiver.requests.length === 2);

    const [first, second] = receiver.requests.map((request) =>
      Number(request.headers['x-sms-relay-timestamp']),
    );
    expect(second).toBe(first! + 2);
    expect(deliveriesOf(relay, 'webhook')[0]?.retry_in_ms).toBe(2000);
  });

  it('waits as long as Retry-After asks', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { relay, receiver } = await startWebhookRelay([
      { status: 429, headers: { 'Retry-After': '30' } },
    ]);
    await settle(relay.send(message));
    await runUntil(() => deliveriesOf(relay, 'webhook').length === 1);

    expect(deliveriesOf(relay, 'webhook')[0]).toMatchObject({
      outcome: 'failed_retryable',
      error: 'HTTP 429',
      retry_in_ms: 30_000,
    });
    await vi.advanceTimersByTimeAsync(29_000);
    expect(receiver.requests).toHaveLength(1);
    await runUntil(() => receiver.requests.length === 2);
  });

  it('retries 408 and 429', async () => {
    const { relay, receiver } = await startWebhookRelay([408, 429]);
    await relay.send(message);
    await receiver.waitForRequests(3);
    await waitForDelivery(
      relay,
      (event) => event.channel === 'webhook' && event.outcome === 'delivered',
    );
    expect(receiver.requests).toHaveLength(3);
  });

  it('does not retry a 400', async () => {
    const { relay, receiver } = await startWebhookRelay([400]);
    await relay.send(message);
    await waitForDelivery(relay, (event) => event.outcome === 'dead_lettered');
    await relay.gateway.escalator.flush();

    expect(receiver.requests).toHaveLength(1);
    expect(deliveriesOf(relay, 'webhook').map((event) => event.outcome)).toEqual([
      'failed',
      'dead_lettered',
    ]);
  });

  it('dead-letters a rejected event', async () => {
    const { relay } = await startWebhookRelay([400]);
    await relay.send(message);
    await waitForDelivery(relay, (event) => event.outcome === 'dead_lettered');
    await relay.gateway.escalator.flush();

    const deadLetter = relay.errorLogLines().find((line) => line['dead_letter'] === true);
    expect(deadLetter?.['undelivered_channels']).toEqual(['webhook']);
    expect(deadLetter?.['error']).toBe('HTTP 400');
    expect(deadLetter?.['event_id']).toBe(relay.errorLogLines()[0]?.['event_id']);
    expect(relay.channelErrors.map((error) => error.channel)).toEqual(['webhook']);
  });

  it('dead-letters after the last attempt', async () => {
    const { relay, receiver } = await startWebhookRelay([500, 500, 500], 'max_attempts = 3');
    await relay.send(message);
    await waitForDelivery(relay, (event) => event.outcome === 'dead_lettered');

    expect(receiver.requests).toHaveLength(3);
    expect(deliveriesOf(relay, 'webhook').at(-2)).toMatchObject({ outcome: 'failed', attempt: 3 });
  });

  it('times out a receiver that never answers', async () => {
    const { relay, receiver } = await startWebhookRelay(['hang'], 'timeout_ms = 100');
    await relay.send(message);
    await waitForDelivery(
      relay,
      (event) => event.channel === 'webhook' && event.outcome === 'delivered',
    );

    expect(receiver.requests).toHaveLength(2);
    expect(deliveriesOf(relay, 'webhook')[0]).toMatchObject({
      outcome: 'failed_retryable',
      error: 'request timed out after 100 ms',
    });
  });

  it('retries a refused connection', async () => {
    const port = await freePort();
    relay = startRelay({
      escalate: '["webhook"]',
      webhook: webhookKeys(`http://127.0.0.1:${port}/hook`, 'max_attempts = 2'),
    });
    failBothProviders(relay);
    await relay.send(message);
    await waitForDelivery(relay, (event) => event.outcome === 'dead_lettered');

    expect(deliveriesOf(relay, 'webhook').map((event) => event.outcome)).toEqual([
      'failed_retryable',
      'failed',
      'dead_lettered',
    ]);
    expect(deliveriesOf(relay, 'webhook')[0]?.error).toBe('request failed: ECONNREFUSED');
  });
});
