import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { startSmtpCatcher, type SmtpCatcher } from '../escalation/helpers/smtp.js';
import {
  startWebhookReceiver,
  verifySignature,
  type WebhookReceiver,
} from '../escalation/helpers/webhook.js';
import {
  postTwilioCallback,
  postVonageReceipt,
  signVonageReceipt,
  startDeliveryRelay,
  twilioStatusFields,
  vonageReceiptFields,
  type DeliveryRelay,
  type DeliveryRelayOptions,
  type MessageView,
} from '../helpers/delivery.js';
import { parseExposition, sampleValue } from '../metrics/prometheus-text.js';

const WEBHOOK_SECRET = 'webhook-secret-0123456789';
const VONAGE_SECRET = 'vonage-signature-secret-0001';

/** Gateway options that make Vonage receipts carry a `sig`. */
const signedVonage: DeliveryRelayOptions = {
  vonage: { options: { signature_secret: VONAGE_SECRET, signature_method: 'sha256' } },
};

/** A delivery relay whose default route escalates to the error log, email and a webhook. */
interface EscalatingRelay {
  readonly relay: DeliveryRelay;
  readonly smtp: SmtpCatcher;
  readonly webhook: WebhookReceiver;
  /** The error log's lines, parsed; empty when the file does not exist. */
  errorLogLines(): Record<string, unknown>[];
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

/**
 * Starts an SMTP server, a webhook receiver and a gateway whose default route sends through
 * Twilio, then Vonage, with the `[routes.default.delivery]` keys `delivery`.
 */
async function start(
  delivery: string,
  dataDir = newDataDir(),
  options: DeliveryRelayOptions = {},
): Promise<EscalatingRelay> {
  const smtp = await startSmtpCatcher();
  cleanups.push(() => smtp.close());
  const webhook = await startWebhookReceiver();
  cleanups.push(() => webhook.close());

  const relay = await startDeliveryRelay({
    ...options,
    publicBaseUrl: 'self',
    dataDir,
    route: { escalate: ['error_log', 'email', 'webhook'] },
    extra: [
      `[routes.default.delivery]\n${delivery}`,
      '[queue]\npoll_interval_ms = 20',
      `[escalation.email]\nurl = "${smtp.url}"\nfrom = "relay@example.com"\nto = ["ops@example.com"]`,
      `[escalation.webhook]\nurl = "${webhook.url}"\nsecret = "${WEBHOOK_SECRET}"`,
    ].join('\n\n'),
  });
  cleanups.push(() => relay.close());

  const errorLogPath = join(dataDir, 'escalations.jsonl');
  return { relay, smtp, webhook, errorLogLines: () => readJsonLines(errorLogPath) };
}

function newDataDir(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'sms-relay-undelivered-'));
  cleanups.push(() => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })));
  return dataDir;
}

function readJsonLines(path: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Waits until the error log has a line about message `id`, and returns the lines about it. */
async function errorLogLinesOf(
  setup: EscalatingRelay,
  id: string,
): Promise<Record<string, unknown>[]> {
  await vi.waitFor(
    () => expect(setup.errorLogLines().some((line) => line['message_id'] === id)).toBe(true),
    { timeout: 10_000, interval: 20 },
  );
  return setup.errorLogLines().filter((line) => line['message_id'] === id);
}

/** Waits until every escalation started so far has settled on every channel. */
async function escalationsSettled(relay: DeliveryRelay): Promise<void> {
  await vi.waitFor(() => expect(relay.gateway.escalator.pending).toBe(0), {
    timeout: 10_000,
    interval: 20,
  });
}

/**
 * Sends a second message and reports it undelivered with Twilio code `providerCode`, then waits
 * until its escalation has settled. The delivery monitor lists due checks oldest first, so every
 * check that an earlier report made due has been handled by then. Routes that resend a provider
 * failure need a recipient failure such as `30005`, which is never resent.
 */
async function escalateAnotherMessage(
  setup: EscalatingRelay,
  providerCode = '30008',
): Promise<void> {
  const other = await setup.relay.sendMessage();
  await postTwilioCallback(
    setup.relay.url,
    twilioStatusFields(other.provider_message_id ?? '', 'undelivered', providerCode),
  );
  await errorLogLinesOf(setup, other.id);
  await escalationsSettled(setup.relay);
}

/** Posts a Vonage receipt signed with `VONAGE_SECRET` and checks that it was recorded. */
async function postSignedVonageReceipt(
  relay: DeliveryRelay,
  ref: string,
  status: string,
  code?: string,
): Promise<void> {
  const fields = signVonageReceipt(vonageReceiptFields(ref, status, code), VONAGE_SECRET, 'sha256');
  const response = await postVonageReceipt(relay.url, fields);
  expect(response.status).toBe(204);
}

/** Waits until the resend pass through Vonage has ended, and returns the message. */
async function resentThroughVonage(relay: DeliveryRelay, id: string): Promise<MessageView> {
  let message: MessageView | undefined;
  await vi.waitFor(
    async () => {
      message = await relay.message(id);
      expect(message.provider).toBe('vonage-main');
      expect(message.status).not.toBe('sending');
    },
    { timeout: 10_000, interval: 20 },
  );
  return message as MessageView;
}

async function sendThroughTwilio(relay: DeliveryRelay): Promise<MessageView> {
  const message = await relay.sendMessage();
  expect(message.provider).toBe('twilio-main');
  return message;
}

describe('escalation of undelivered messages', () => {
  it('escalates a carrier failure on every channel', async () => {
    const setup = await start('');
    const sent = await sendThroughTwilio(setup.relay);

    const ack = await postTwilioCallback(
      setup.relay.url,
      twilioStatusFields(sent.provider_message_id ?? '', 'undelivered', '30008'),
    );
    const [line] = await errorLogLinesOf(setup, sent.id);
    const [mail] = await setup.smtp.waitForMails(1);
    const [request] = await setup.webhook.waitForRequests(1);

    expect(ack.status).toBe(204);
    expect(line?.['reason']).toBe('undelivered');
    expect(line?.['recipient']).toBe('+1500***0006');
    expect(line?.['delivery']).toEqual({
      provider: 'twilio-main',
      status: 'undelivered',
      failure_class: 'provider_failure',
      provider_code: '30008',
    });
    expect(mail?.parsed.subject).toContain('message not delivered on route default');
    expect(mail?.parsed.text).toContain('(undelivered)');
    expect(mail?.parsed.text).toContain('twilio-main: undelivered, provider_failure, code 30008');
    const body = request?.body ?? Buffer.alloc(0);
    const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    expect(json['reason']).toBe('undelivered');
    expect(json['message_id']).toBe(sent.id);
    expect(verifySignature(WEBHOOK_SECRET, request?.headers ?? {}, body, Date.now() / 1000)).toBe(
      true,
    );
    const final = await setup.relay.logged('message not delivered');
    expect(final['escalated_to']).toEqual(['error_log', 'email', 'webhook']);
  });

  it('counts the escalation in metrics', async () => {
    const setup = await start('');
    const sent = await sendThroughTwilio(setup.relay);

    await postTwilioCallback(
      setup.relay.url,
      twilioStatusFields(sent.provider_message_id ?? '', 'undelivered', '30008'),
    );
    await errorLogLinesOf(setup, sent.id);
    const response = await fetch(`${setup.relay.url}/metrics`);
    const metrics = parseExposition(await response.text());

    for (const channel of ['error_log', 'email', 'webhook']) {
      const handedOff = { channel, outcome: 'handed_off' };
      expect(sampleValue(metrics, 'sms_relay_escalations_total', handedOff)).toBe(1);
    }
  });

  it('escalates a repeated callback once', async () => {
    const setup = await start('');
    const sent = await sendThroughTwilio(setup.relay);
    const sid = sent.provider_message_id ?? '';
    await postTwilioCallback(setup.relay.url, twilioStatusFields(sid, 'undelivered', '30008'));
    await errorLogLinesOf(setup, sent.id);

    const repeat = await postTwilioCallback(
      setup.relay.url,
      twilioStatusFields(sid, 'undelivered', '30008'),
    );
    const other = await postTwilioCallback(
      setup.relay.url,
      twilioStatusFields(sid, 'failed', '30001'),
    );
    await escalateAnotherMessage(setup);

    expect(repeat.status).toBe(204);
    expect(other.status).toBe(204);
    expect(await errorLogLinesOf(setup, sent.id)).toHaveLength(1);
    await setup.smtp.waitForMails(2);
    await setup.webhook.waitForRequests(2);
    expect(setup.smtp.mails).toHaveLength(2);
    expect(setup.webhook.requests).toHaveLength(2);
  });

  it('does not escalate while a resend is pending', async () => {
    let releaseVonage: () => void = () => undefined;
    const vonageHeld = new Promise<void>((resolve) => {
      releaseVonage = resolve;
    });
    const setup = await start('resend_on = ["provider_failure"]');
    const respond = setup.relay.vonage.respond;
    setup.relay.vonage.respond = async (request, index) => {
      await vonageHeld;
      return respond(request, index);
    };
    const sent = await sendThroughTwilio(setup.relay);

    await postTwilioCallback(
      setup.relay.url,
      twilioStatusFields(sent.provider_message_id ?? '', 'undelivered', '30008'),
    );
    await setup.relay.logged('resend queued');
    await setup.relay.vonage.arrivals(1);
    await escalationsSettled(setup.relay);

    expect(setup.errorLogLines()).toEqual([]);
    expect(setup.smtp.mails).toHaveLength(0);
    expect(setup.webhook.requests).toHaveLength(0);
    releaseVonage();
    await vi.waitFor(
      async () => expect((await setup.relay.message(sent.id)).provider).toBe('vonage-main'),
      { timeout: 10_000, interval: 20 },
    );
    await escalationsSettled(setup.relay);
    expect(setup.errorLogLines()).toEqual([]);
  });

  it('escalates the last provider failure after a resend', async () => {
    const setup = await start('resend_on = ["provider_failure"]');
    const sent = await sendThroughTwilio(setup.relay);
    await postTwilioCallback(
      setup.relay.url,
      twilioStatusFields(sent.provider_message_id ?? '', 'undelivered', '30008'),
    );
    let resent: MessageView | undefined;
    await vi.waitFor(
      async () => {
        resent = await setup.relay.message(sent.id);
        expect(resent.provider).toBe('vonage-main');
      },
      { timeout: 10_000, interval: 20 },
    );

    await postVonageReceipt(
      setup.relay.url,
      vonageReceiptFields(resent?.provider_message_id ?? '', 'failed', '8'),
    );
    const lines = await errorLogLinesOf(setup, sent.id);
    await escalationsSettled(setup.relay);

    expect(lines).toHaveLength(1);
    expect(lines[0]?.['reason']).toBe('undelivered');
    expect((lines[0]?.['delivery'] as Record<string, unknown>)['provider']).toBe('vonage-main');
    const attempts = lines[0]?.['attempts'] as { provider: string }[];
    expect(attempts.map((attempt) => attempt.provider)).toEqual(['twilio-main', 'vonage-main']);
    // The SMTP catcher stores a mail once it has parsed it, which can be after the gateway got
    // the server's reply, so wait for it.
    await setup.smtp.waitForMails(1);
    await setup.webhook.waitForRequests(1);
    expect(setup.smtp.mails).toHaveLength(1);
    expect(setup.webhook.requests).toHaveLength(1);
  });

  it('escalates after a restart', async () => {
    const dataDir = newDataDir();
    const first = await start('', dataDir);
    const sent = await sendThroughTwilio(first.relay);
    // With the monitor stopped, the report is stored but its check is not handled, as when the
    // process stops between the two.
    await first.relay.gateway.deliveryMonitor.stop();
    await postTwilioCallback(
      first.relay.url,
      twilioStatusFields(sent.provider_message_id ?? '', 'undelivered', '30008'),
    );
    await first.relay.close();
    expect(first.errorLogLines()).toEqual([]);

    const second = await start('', dataDir);
    const lines = await errorLogLinesOf(second, sent.id);
    await second.smtp.waitForMails(1);

    expect(lines).toHaveLength(1);
    expect(lines[0]?.['reason']).toBe('undelivered');
    expect(first.smtp.mails).toHaveLength(0);
  });

  it('writes a pending escalation to the error log on shutdown', async () => {
    const setup = await start('', newDataDir(), {
      topLevel: { 'server.shutdown_timeout_ms': 500 },
    });
    setup.smtp.behaviour.greet = false;
    const sent = await sendThroughTwilio(setup.relay);

    await postTwilioCallback(
      setup.relay.url,
      twilioStatusFields(sent.provider_message_id ?? '', 'undelivered', '30008'),
    );
    await errorLogLinesOf(setup, sent.id);
    await setup.webhook.waitForRequests(1);
    await setup.relay.close();
    const lines = setup.errorLogLines().filter((line) => line['message_id'] === sent.id);

    expect(lines).toHaveLength(2);
    expect(lines[1]?.['reason']).toBe('undelivered');
    expect(lines[1]?.['dead_letter']).toBe(true);
    expect(lines[1]?.['undelivered_channels']).toEqual(['email']);
  });

  it('skips a route that opts out', async () => {
    const setup = await start('escalate_undelivered = false');
    const sent = await sendThroughTwilio(setup.relay);

    await postTwilioCallback(
      setup.relay.url,
      twilioStatusFields(sent.provider_message_id ?? '', 'undelivered', '30008'),
    );
    const final = await setup.relay.logged('message not delivered');
    await escalationsSettled(setup.relay);

    expect(final['message_id']).toBe(sent.id);
    expect(final['escalated_to']).toEqual([]);
    expect(setup.errorLogLines()).toEqual([]);
    expect(setup.smtp.mails).toHaveLength(0);
    expect(setup.webhook.requests).toHaveLength(0);
  });
});

describe('delivered report after a resend', () => {
  it('delivers on the superseded attempt', async () => {
    const setup = await start('resend_on = ["provider_failure"]', newDataDir(), signedVonage);
    const sent = await sendThroughTwilio(setup.relay);
    const sid = sent.provider_message_id ?? '';
    await postTwilioCallback(setup.relay.url, twilioStatusFields(sid, 'undelivered', '30008'));
    const resent = await resentThroughVonage(setup.relay, sent.id);

    const late = await postTwilioCallback(setup.relay.url, twilioStatusFields(sid, 'delivered'));
    await postSignedVonageReceipt(setup.relay, resent.provider_message_id ?? '', 'failed', '8');
    await escalateAnotherMessage(setup, '30005');

    expect(late.status).toBe(204);
    const message = await setup.relay.message(sent.id);
    expect(message.status).toBe('delivered');
    expect(message.code).toBeNull();
    expect(message.attempts[0]?.delivery?.status).toBe('delivered');
    expect(message.attempts[1]?.delivery?.status).toBe('undelivered');
    expect(message.status_history.map((change) => change.status).slice(-2)).toEqual([
      'sent',
      'delivered',
    ]);
    expect(setup.errorLogLines().some((line) => line['message_id'] === sent.id)).toBe(false);
    await setup.smtp.waitForMails(1);
    expect(setup.smtp.mails).toHaveLength(1);
  });

  it('delivers after a resend pass in flight', async () => {
    const setup = await start('resend_on = ["provider_failure"]', newDataDir(), signedVonage);
    const vonage = setup.relay.vonage;
    const accept = vonage.respond;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    vonage.respond = async (request, index) => {
      await released;
      return accept(request, index);
    };
    const sent = await sendThroughTwilio(setup.relay);
    const sid = sent.provider_message_id ?? '';
    await postTwilioCallback(setup.relay.url, twilioStatusFields(sid, 'undelivered', '30008'));
    await vonage.arrivals(1);

    await postTwilioCallback(setup.relay.url, twilioStatusFields(sid, 'delivered'));
    const duringPass = await setup.relay.message(sent.id);
    release();
    const resent = await resentThroughVonage(setup.relay, sent.id);
    await postSignedVonageReceipt(setup.relay, resent.provider_message_id ?? '', 'failed', '8');
    await escalateAnotherMessage(setup, '30005');

    expect(duringPass.status).toBe('sending');
    expect(resent.status).toBe('delivered');
    const message = await setup.relay.message(sent.id);
    expect(message.status).toBe('delivered');
    expect(message.attempts[1]?.delivery?.status).toBe('undelivered');
    expect(setup.errorLogLines().some((line) => line['message_id'] === sent.id)).toBe(false);
    await setup.smtp.waitForMails(1);
    expect(setup.smtp.mails).toHaveLength(1);
  });

  it('delivers on delivered right after undelivered', async () => {
    const setup = await start('resend_on = ["provider_failure"]', newDataDir(), signedVonage);
    const sent = await sendThroughTwilio(setup.relay);
    const sid = sent.provider_message_id ?? '';

    await postTwilioCallback(setup.relay.url, twilioStatusFields(sid, 'undelivered', '30008'));
    await postTwilioCallback(setup.relay.url, twilioStatusFields(sid, 'delivered'));
    // The resend is cancelled when the monitor has not queued it yet or the queue has not claimed
    // it, and otherwise its pass ends with the message delivered.
    await vi.waitFor(
      async () => {
        const current = await setup.relay.message(sent.id);
        expect(current.status).toBe('delivered');
      },
      { timeout: 10_000, interval: 20 },
    );
    await escalateAnotherMessage(setup, '30005');

    const message = await setup.relay.message(sent.id);
    expect(message.status).toBe('delivered');
    expect(message.attempts[0]?.delivery?.status).toBe('delivered');
    expect(setup.errorLogLines().some((line) => line['message_id'] === sent.id)).toBe(false);
    await setup.smtp.waitForMails(1);
    expect(setup.smtp.mails).toHaveLength(1);
  });
});
