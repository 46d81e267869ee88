import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import {
  BODY,
  deliveriesOf,
  failBothProviders,
  RECIPIENT,
  startRelay,
  waitForDelivery,
  webhookKeys,
  type EscalationRelay,
} from './helpers/relay.js';
import { startWebhookReceiver, type Reply, type WebhookReceiver } from './helpers/webhook.js';

const message = { to: RECIPIENT, body: BODY };

let relay: EscalationRelay | undefined;
let receiver: WebhookReceiver | undefined;

afterEach(async () => {
  await relay?.gateway.escalator.flush(100);
  await relay?.close();
  await receiver?.close();
  relay = undefined;
  receiver = undefined;
});

/** Starts a failing gateway whose route escalates to `escalate`, and a webhook receiver. */
async function startFailingRelay(
  escalate: string,
  reply: Reply = 200,
  webhookExtra = '',
): Promise<{ relay: EscalationRelay; receiver: WebhookReceiver }> {
  receiver = await startWebhookReceiver(() => reply);
  relay = startRelay({ escalate, webhook: webhookKeys(receiver.url, webhookExtra) });
  failBothProviders(relay);
  return { relay, receiver };
}

async function problemOf(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

describe('route channels', () => {
  it('hands the message to the listed channels', async () => {
    const { relay } = await startFailingRelay('["webhook", "error_log"]');
    const problem = await problemOf(await relay.send(message));
    expect(problem['escalated_to']).toEqual(['webhook', 'error_log']);
  });

  it('uses only the listed channels', async () => {
    const { relay, receiver } = await startFailingRelay('["webhook"]');
    const problem = await problemOf(await relay.send(message));
    await receiver.waitForRequests(1);
    await relay.gateway.escalator.flush();

    expect(problem['escalated_to']).toEqual(['webhook']);
    expect(existsSync(join(relay.dataDir, 'escalations.jsonl'))).toBe(false);
  });

  it('escalates nowhere for an empty list', async () => {
    const { relay, receiver } = await startFailingRelay('[]');
    const response = await relay.send(message);
    const problem = await problemOf(response);
    await relay.gateway.escalator.flush();

    expect(response.status).toBe(502);
    expect(problem['escalated_to']).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
    expect(relay.deliveries).toEqual([]);
  });
});

describe('independent channels', () => {
  it('answers while the webhook hangs', async () => {
    const { relay, receiver } = await startFailingRelay('["error_log", "webhook"]', 'hang');
    const response = await relay.send(message);
    await receiver.waitForRequests(1);

    expect(response.status).toBe(502);
    expect(relay.gateway.escalator.health().webhook?.pending).toBe(1);
  });

  it('writes the error log while the webhook hangs', async () => {
    const { relay } = await startFailingRelay('["webhook", "error_log"]', 'hang');
    await relay.send(message);
    await waitForDelivery(relay, (event) => event.channel === 'error_log');

    expect(relay.errorLogLines()).toHaveLength(1);
    expect(deliveriesOf(relay, 'webhook')).toEqual([]);
  });

  it('caps the attempts in flight per channel', async () => {
    const { relay, receiver } = await startFailingRelay('["webhook"]', 'hang');
    for (let index = 0; index < 6; index += 1) {
      await relay.send(message);
    }
    await receiver.waitForRequests(4);
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(receiver.requests).toHaveLength(4);
    expect(relay.gateway.escalator.health().webhook?.pending).toBe(6);
  });
});

describe('flush', () => {
  it('writes undelivered events to the error log', async () => {
    const { relay, receiver } = await startFailingRelay('["webhook"]', 'hang');
    const problem = await problemOf(await relay.send(message));
    await receiver.waitForRequests(1);
    await relay.gateway.escalator.flush(100);

    const [line] = relay.errorLogLines();
    expect(line).toMatchObject({
      type: 'message_escalation',
      message_id: problem['id'],
      body: BODY,
      dead_letter: true,
      undelivered_channels: ['webhook'],
      error: 'not delivered before shutdown',
    });
  });

  it('reports the undelivered events', async () => {
    const { relay, receiver } = await startFailingRelay('["webhook"]', 'hang');
    await relay.send(message);
    await receiver.waitForRequests(1);
    await relay.gateway.escalator.flush(100);

    expect(deliveriesOf(relay, 'webhook')).toMatchObject([
      { outcome: 'dead_lettered', attempt: 0, kind: 'message_escalation' },
    ]);
    expect(relay.gateway.escalator.pending).toBe(0);
  });

  it('writes events that waited for an attempt', async () => {
    const { relay, receiver } = await startFailingRelay('["webhook"]', 'hang');
    for (let index = 0; index < 6; index += 1) {
      await relay.send(message);
    }
    await receiver.waitForRequests(4);
    await relay.gateway.escalator.flush(100);

    expect(relay.errorLogLines().filter((line) => line['dead_letter'] === true)).toHaveLength(6);
  });

  it('writes nothing for delivered events', async () => {
    const { relay, receiver } = await startFailingRelay('["webhook"]');
    await relay.send(message);
    await receiver.waitForRequests(1);
    await relay.gateway.escalator.flush(100);
    expect(relay.errorLogLines()).toEqual([]);
  });
});

describe('error log health', () => {
  it('degrades health when the log cannot be written', async () => {
    const { relay } = await startFailingRelay('["error_log"]');
    mkdirSync(join(relay.dataDir, 'escalations.jsonl'));
    await relay.send(message);
    await relay.gateway.escalator.flush();
    relay.simulator('sim-a').simulate({ mode: 'ok' });
    relay.simulator('sim-b').simulate({ mode: 'ok' });

    const health = (await (await relay.app.request('/health')).json()) as {
      status: string;
      escalation: Record<string, { status: string; error: string | null }>;
    };
    expect(health.status).toBe('degraded');
    expect(health.escalation['error_log']?.status).toBe('degraded');
    expect(health.escalation['error_log']?.error).toMatch(/EISDIR/);
  });

  it('reports the failed write', async () => {
    const { relay } = await startFailingRelay('["error_log"]');
    mkdirSync(join(relay.dataDir, 'escalations.jsonl'));
    await relay.send(message);
    await relay.gateway.escalator.flush();

    expect(deliveriesOf(relay, 'error_log')).toMatchObject([{ outcome: 'failed', attempt: 1 }]);
  });
});
