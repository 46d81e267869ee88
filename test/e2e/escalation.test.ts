import { afterEach, describe, expect, it } from 'vitest';

import {
  BODY,
  deliveriesOf,
  emailKeys,
  failBothProviders,
  MASKED_RECIPIENT,
  RECIPIENT,
  startRelay,
  waitForDelivery,
  WEBHOOK_SECRET,
  webhookKeys,
  type EscalationRelay,
} from '../escalation/helpers/relay.js';
import { startSmtpCatcher, type SmtpCatcher } from '../escalation/helpers/smtp.js';
import {
  startWebhookReceiver,
  verifySignature,
  type Reply,
  type WebhookReceiver,
} from '../escalation/helpers/webhook.js';
import { API_KEY, freePort } from '../helpers/gateway.js';
import { startServer, type RunningServer } from '../../src/server.js';

let relay: EscalationRelay | undefined;
let running: RunningServer | undefined;
let smtp: SmtpCatcher | undefined;
let receiver: WebhookReceiver | undefined;

afterEach(async () => {
  await running?.shutdown();
  await relay?.close();
  await smtp?.close();
  await receiver?.close();
  relay = undefined;
  running = undefined;
  smtp = undefined;
  receiver = undefined;
});

/** A promise and the function that resolves it. */
function gate(): { readonly opened: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * Starts the gateway's HTTP server with both providers failing, escalating every failed message
 * to the error log, by email and by webhook.
 */
async function startEscalatingServer(
  options: {
    webhookReply?: (index: number) => Reply | Promise<Reply>;
    /** Keys of `[server]`. */
    server?: string;
  } = {},
): Promise<{ url: string; relay: EscalationRelay; smtp: SmtpCatcher; receiver: WebhookReceiver }> {
  smtp = await startSmtpCatcher();
  receiver = await startWebhookReceiver(options.webhookReply);
  const port = await freePort();
  relay = startRelay(
    {
      escalate: '["error_log", "email", "webhook"]',
      email: emailKeys(smtp.url),
      webhook: webhookKeys(receiver.url),
      ...(options.server === undefined ? {} : { extra: `[server]\n${options.server}` }),
    },
    { env: { PORT: String(port) }, logEvents: false },
  );
  failBothProviders(relay);
  running = await startServer(relay.gateway, relay.logger);
  return { url: running.url, relay, smtp, receiver };
}

async function postMessage(
  url: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ to: RECIPIENT, body: BODY, reference: 'incident-42' }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('escalation end to end', () => {
  it('answers 502 before any channel delivers', async () => {
    const email = gate();
    const webhook = gate();
    const { url, relay, smtp, receiver } = await startEscalatingServer({
      webhookReply: () => webhook.opened.then(() => 200),
    });
    smtp.behaviour.holdData = email.opened;

    const answer = await postMessage(url);
    const deliveredWhenAnswered = relay.deliveries.filter(
      (event) => event.channel !== 'error_log' && event.outcome === 'delivered',
    );
    expect(answer.status).toBe(502);
    expect(answer.body['code']).toBe('all_providers_failed');
    expect(answer.body['escalated_to']).toEqual(['error_log', 'email', 'webhook']);
    expect(deliveredWhenAnswered).toEqual([]);
    expect(smtp.mails).toHaveLength(0);

    email.open();
    webhook.open();
    await smtp.waitForMails(1);
    await receiver.waitForRequests(1);
    await waitForDelivery(relay, (event) => event.channel === 'webhook');
  });

  it('delivers the email, the webhook event and the error log line', async () => {
    const { url, relay, smtp, receiver } = await startEscalatingServer();
    const answer = await postMessage(url);
    const [mail] = await smtp.waitForMails(1);
    const [request] = await receiver.waitForRequests(1);
    await relay.gateway.escalator.flush();
    const [line] = relay.errorLogLines();
    const posted = JSON.parse(request!.body.toString('utf8')) as Record<string, unknown>;

    expect(line).toMatchObject({
      message_id: answer.body['id'],
      body: BODY,
      reference: 'incident-42',
    });
    expect(line?.['recipient']).toBe(MASKED_RECIPIENT);
    expect(posted).toEqual(line);
    expect(mail?.parsed.headers.get('x-sms-relay-event-id')).toBe(line?.['event_id']);
    expect(mail?.parsed.text).toContain(BODY);
    expect(
      verifySignature(WEBHOOK_SECRET, request!.headers, request!.body, Date.now() / 1000),
    ).toBe(true);
  });

  it('logs each delivery without the body or number', async () => {
    const { url, relay, smtp, receiver } = await startEscalatingServer();
    await postMessage(url);
    await smtp.waitForMails(1);
    await receiver.waitForRequests(1);
    await waitForDelivery(relay, (event) => event.channel === 'webhook');
    await waitForDelivery(relay, (event) => event.channel === 'email');
    await relay.gateway.escalator.flush();

    const delivered = relay
      .logLines()
      .filter((line) => line['msg'] === 'escalation delivered')
      .map((line) => line['channel']);
    expect(delivered.sort()).toEqual(['email', 'error_log', 'webhook']);
    expect(relay.logText()).not.toContain(BODY);
    expect(relay.logText()).not.toContain('4155550100');
  });

  it('verifies the email server at start-up', async () => {
    const { url, relay } = await startEscalatingServer();
    await waitForVerification(relay);
    const health = (await (await fetch(`${url}/health`)).json()) as {
      escalation: Record<string, { status: string; verified_at: string | null }>;
    };

    expect(health.escalation['email']?.status).toBe('ok');
    expect(health.escalation['email']?.verified_at).not.toBeNull();
    expect(relay.logLines().some((line) => line['msg'] === 'escalation channel verified')).toBe(
      true,
    );
  });

  it('writes undelivered events to the error log at shutdown', async () => {
    const { url, relay, receiver } = await startEscalatingServer({
      webhookReply: () => 'hang',
      server: 'shutdown_timeout_ms = 1000',
    });
    await postMessage(url);
    await receiver.waitForRequests(1);
    await waitForDelivery(relay, (event) => event.channel === 'email');
    await running?.shutdown();
    running = undefined;

    const deadLetters = relay.errorLogLines().filter((line) => line['dead_letter'] === true);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.['undelivered_channels']).toEqual(['webhook']);
    expect(deliveriesOf(relay, 'webhook').map((event) => event.outcome)).toEqual(['dead_lettered']);
  });
});

async function waitForVerification(current: EscalationRelay): Promise<void> {
  for (let turn = 0; turn < 1000; turn += 1) {
    if (current.gateway.escalator.health().email?.verified_at) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('the email channel was not verified');
}
