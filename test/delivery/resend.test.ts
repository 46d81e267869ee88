import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  postTwilioCallback,
  postVonageReceipt,
  startDeliveryRelay,
  twilioStatusFields,
  vonageReceiptFields,
  type DeliveryRelay,
  type DeliveryRelayOptions,
  type MessageView,
} from '../helpers/delivery.js';

const relays: DeliveryRelay[] = [];
const directories: string[] = [];

afterEach(async () => {
  for (const relay of relays.splice(0)) {
    await relay.close();
  }
  for (const directory of directories.splice(0)) {
    rmSync(directory, { recursive: true, force: true });
  }
});

/** Starts a gateway whose default route sends through Twilio, then Vonage, with `delivery`. */
async function start(delivery: string, options: DeliveryRelayOptions = {}): Promise<DeliveryRelay> {
  const relay = await startDeliveryRelay({
    publicBaseUrl: 'self',
    extra: `[routes.default.delivery]\n${delivery}\n\n[queue]\npoll_interval_ms = 20`,
    ...options,
  });
  relays.push(relay);
  return relay;
}

/** Sends a message, which Twilio accepts, and returns it. */
async function sendThroughTwilio(relay: DeliveryRelay): Promise<MessageView> {
  const message = await relay.sendMessage();
  expect(message.provider).toBe('twilio-main');
  return message;
}

/** Waits until the message is `sent` again through Vonage, after a resend, and returns it. */
async function resentThroughVonage(relay: DeliveryRelay, id: string): Promise<MessageView> {
  let message: MessageView | undefined;
  await vi.waitFor(
    async () => {
      message = await relay.message(id);
      expect(message.provider).toBe('vonage-main');
    },
    { timeout: 10_000, interval: 20 },
  );
  return message as MessageView;
}

describe('resend after a delivery failure', () => {
  it('resends a carrier failure through the next provider', async () => {
    const relay = await start('resend_on = ["provider_failure"]');
    const sent = await sendThroughTwilio(relay);

    const ack = await postTwilioCallback(
      relay.url,
      twilioStatusFields(sent.provider_message_id ?? '', 'undelivered', '30008'),
    );
    const message = await resentThroughVonage(relay, sent.id);

    expect(ack.status).toBe(204);
    expect(relay.vonage.requests).toHaveLength(1);
    expect(relay.twilio.requests).toHaveLength(1);
    expect(message.status).toBe('sent');
    expect(message.possible_duplicate).toBe(true);
    expect(message.attempts.map((attempt) => attempt.provider)).toEqual([
      'twilio-main',
      'vonage-main',
    ]);
    expect(message.attempts[0]?.superseded).toBe(true);
    expect(message.attempts[0]?.delivery?.status).toBe('undelivered');
    expect(message.attempts[1]?.resend).toBe(true);
    expect(message.attempts[1]?.superseded).toBe(false);
  });

  it('records the resend in the history', async () => {
    const relay = await start('resend_on = ["provider_failure"]');
    const sent = await sendThroughTwilio(relay);

    await postTwilioCallback(
      relay.url,
      twilioStatusFields(sent.provider_message_id ?? '', 'undelivered', '30008'),
    );
    const message = await resentThroughVonage(relay, sent.id);

    expect(message.status_history.map((change) => [change.status, change.code])).toEqual([
      ['sending', null],
      ['sent', null],
      ['undelivered', 'provider_failure'],
      ['queued', 'resend_after_failure'],
      ['sending', null],
      ['sent', null],
    ]);
    const resend = await relay.logged('resend queued');
    expect(resend['reason']).toBe('delivery_failure');
    expect(resend['candidates']).toEqual(['vonage-main']);
  });

  it('tells Vonage the resend callback URL', async () => {
    const relay = await start('resend_on = ["provider_failure"]');
    const sent = await sendThroughTwilio(relay);

    await postTwilioCallback(
      relay.url,
      twilioStatusFields(sent.provider_message_id ?? '', 'failed', '30001'),
    );
    await resentThroughVonage(relay, sent.id);

    const json = JSON.parse(relay.vonage.requests[0]?.body ?? '{}') as Record<string, unknown>;
    expect(json['callback']).toBe(`${relay.url}/webhooks/vonage/dlr`);
  });

  it('does not resend to a blocked recipient', async () => {
    const relay = await start('resend_on = ["provider_failure", "unknown_failure"]');
    const sent = await sendThroughTwilio(relay);

    await postTwilioCallback(
      relay.url,
      twilioStatusFields(sent.provider_message_id ?? '', 'undelivered', '30004'),
    );
    const final = await relay.logged('message not delivered');

    expect(final['reason']).toBe("recipient_failure is not in the route's resend_on");
    expect(relay.vonage.requests).toHaveLength(0);
    const message = await relay.message(sent.id);
    expect(message.status).toBe('undelivered');
    expect(message.code).toBe('recipient_failure');
    expect(message.attempts[0]?.superseded).toBe(false);
  });

  it('does not resend an opt-out', async () => {
    const relay = await start('resend_on = ["provider_failure", "unknown_failure"]');
    const sent = await sendThroughTwilio(relay);

    await postTwilioCallback(
      relay.url,
      twilioStatusFields(sent.provider_message_id ?? '', 'failed', '21610'),
    );
    await relay.logged('message not delivered');

    expect(relay.vonage.requests).toHaveLength(0);
    expect((await relay.message(sent.id)).status).toBe('failed');
  });

  it('does not resend without a delivery policy', async () => {
    const relay = await start('');
    const sent = await sendThroughTwilio(relay);

    await postTwilioCallback(
      relay.url,
      twilioStatusFields(sent.provider_message_id ?? '', 'undelivered', '30008'),
    );
    const final = await relay.logged('message not delivered');

    expect(final['reason']).toBe("provider_failure is not in the route's resend_on");
    expect(relay.vonage.requests).toHaveLength(0);
  });

  it('stops after a failure on the last provider', async () => {
    const relay = await start('resend_on = ["provider_failure"]');
    const sent = await sendThroughTwilio(relay);
    await postTwilioCallback(
      relay.url,
      twilioStatusFields(sent.provider_message_id ?? '', 'undelivered', '30008'),
    );
    const resent = await resentThroughVonage(relay, sent.id);

    const ack = await postVonageReceipt(
      relay.url,
      vonageReceiptFields(resent.provider_message_id ?? '', 'failed', '8'),
    );
    const final = await relay.logged('message not delivered');

    expect(ack.status).toBe(204);
    expect(final['reason']).toBe('every provider of the route has had the message');
    expect(relay.twilio.requests).toHaveLength(1);
    expect(relay.vonage.requests).toHaveLength(1);
    const message = await relay.message(sent.id);
    expect(message.status).toBe('undelivered');
    expect(message.provider).toBe('vonage-main');
  });

  it('delivers on a superseded attempt', async () => {
    const relay = await start('resend_on = ["provider_failure"]');
    const sent = await sendThroughTwilio(relay);
    const sid = sent.provider_message_id ?? '';
    await postTwilioCallback(relay.url, twilioStatusFields(sid, 'undelivered', '30008'));
    await resentThroughVonage(relay, sent.id);

    const late = await postTwilioCallback(relay.url, twilioStatusFields(sid, 'delivered'));

    expect(late.status).toBe(204);
    const message = await relay.message(sent.id);
    expect(message.status).toBe('delivered');
    expect(message.provider).toBe('vonage-main');
    expect(message.attempts[0]?.delivery?.status).toBe('delivered');
    expect(message.attempts[0]?.superseded).toBe(true);
  });
});

describe('resend after a missing final status', () => {
  it('resends when no final status arrives in time', async () => {
    const relay = await start('final_status_timeout_ms = 200');
    const sent = await sendThroughTwilio(relay);

    const message = await resentThroughVonage(relay, sent.id);

    expect(relay.vonage.requests).toHaveLength(1);
    expect(message.status_history.map((change) => change.code)).toContain('resend_after_timeout');
    expect(message.possible_duplicate).toBe(true);
    const resend = await relay.logged('resend queued');
    expect(resend['reason']).toBe('final_status_timeout');
  });

  it('gives up once every provider timed out', async () => {
    const relay = await start('final_status_timeout_ms = 200');
    const sent = await sendThroughTwilio(relay);
    await resentThroughVonage(relay, sent.id);

    const skipped = await relay.logged('no resend');

    expect(skipped['reason']).toBe('every provider of the route has had the message');
    expect(relay.twilio.requests).toHaveLength(1);
    expect(relay.vonage.requests).toHaveLength(1);
    expect((await relay.message(sent.id)).status).toBe('sent');
  });

  it('resends after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sms-relay-resend-restart-'));
    directories.push(dataDir);
    // The first gateway stops long before the timeout, so only the second one can resend.
    const first = await startDeliveryRelay({
      publicBaseUrl: 'self',
      dataDir,
      extra: '[routes.default.delivery]\nfinal_status_timeout_ms = 2000',
    });
    const sent = await sendThroughTwilio(first);
    await first.close();

    const second = await start('final_status_timeout_ms = 2000', { dataDir });
    const message = await resentThroughVonage(second, sent.id);

    expect(first.vonage.requests).toHaveLength(0);
    expect(second.vonage.requests).toHaveLength(1);
    expect(message.attempts.map((attempt) => attempt.provider)).toEqual([
      'twilio-main',
      'vonage-main',
    ]);
  });
});
