import { afterEach, describe, expect, it } from 'vitest';

import {
  postTwilioCallback,
  startDeliveryRelay,
  twilioStatusFields,
  type DeliveryRelay,
  type DeliveryRelayOptions,
} from '../helpers/delivery.js';
import type { ReceivedRequest } from '../helpers/provider-fakes.js';
import { twilioCreated, twilioSid } from '../helpers/provider-wire.js';
import { RELAY_API_KEY } from '../helpers/relay.js';

let relay: DeliveryRelay | undefined;

afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

async function start(options: DeliveryRelayOptions = {}): Promise<DeliveryRelay> {
  relay = await startDeliveryRelay({ publicBaseUrl: 'self', ...options });
  return relay;
}

/** Sends one message through the Twilio fake and returns its id and Twilio SID. */
async function sendThroughTwilio(current: DeliveryRelay): Promise<{ id: string; sid: string }> {
  const message = await current.sendMessage();
  expect(message.provider).toBe('twilio-main');
  return { id: message.id, sid: message.provider_message_id ?? '' };
}

describe('Twilio status callback', () => {
  it('records a signed delivered callback', async () => {
    const current = await start();
    const { id, sid } = await sendThroughTwilio(current);

    const response = await postTwilioCallback(current.url, twilioStatusFields(sid, 'delivered'));

    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    const message = await current.message(id);
    expect(message.status).toBe('delivered');
    expect(message.status_history.map((change) => change.status)).toEqual([
      'sending',
      'sent',
      'delivered',
    ]);
    expect(message.attempts[0]?.delivery?.status).toBe('delivered');
  });

  it('records an undelivered callback with its code and class', async () => {
    const current = await start();
    const { id, sid } = await sendThroughTwilio(current);

    await postTwilioCallback(current.url, twilioStatusFields(sid, 'undelivered', '30003'));

    const message = await current.message(id);
    expect(message.status).toBe('undelivered');
    expect(message.code).toBe('temporary_failure');
    expect(message.status_history.at(-1)).toEqual(
      expect.objectContaining({ status: 'undelivered', provider_code: '30003' }),
    );
  });

  it('rejects an invalid signature and records nothing', async () => {
    const current = await start();
    const { id, sid } = await sendThroughTwilio(current);

    const response = await postTwilioCallback(current.url, twilioStatusFields(sid, 'delivered'), {
      authToken: 'another-auth-token-0000',
    });

    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe('invalid_signature');
    const message = await current.message(id);
    expect(message.status).toBe('sent');
    expect(message.attempts[0]?.delivery).toBeNull();
  });

  it('logs a rejection without secrets', async () => {
    const current = await start();
    const { sid } = await sendThroughTwilio(current);

    await postTwilioCallback(current.url, twilioStatusFields(sid, 'delivered'), {
      authToken: 'another-auth-token-0000',
    });

    const rejected = current
      .logLines()
      .filter((line) => line['msg'] === 'webhook request rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.['reason']).toBe('signature mismatch');
    expect(current.logText()).not.toContain('fake-twilio-auth-token-0001');
    expect(current.logText()).not.toContain('another-auth-token-0000');
  });

  it('rejects a callback without a signature', async () => {
    const current = await start();
    const { sid } = await sendThroughTwilio(current);

    const response = await fetch(`${current.url}/webhooks/twilio/status`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(twilioStatusFields(sid, 'delivered')).toString(),
    });

    expect(response.status).toBe(403);
  });

  it('rejects a callback signed over a different URL', async () => {
    const current = await start();
    const { id, sid } = await sendThroughTwilio(current);

    const response = await postTwilioCallback(current.url, twilioStatusFields(sid, 'delivered'), {
      signedUrl: 'https://elsewhere.example.com/webhooks/twilio/status',
    });

    expect(response.status).toBe(403);
    expect((await current.message(id)).status).toBe('sent');
  });

  it('rejects an AccountSid of no configured provider', async () => {
    const current = await start();
    const { sid } = await sendThroughTwilio(current);
    const fields = { ...twilioStatusFields(sid, 'delivered'), AccountSid: `AC${'1'.repeat(32)}` };

    const response = await postTwilioCallback(current.url, fields);

    expect(response.status).toBe(403);
    const rejected = current.logLines().find((line) => line['msg'] === 'webhook request rejected');
    expect(rejected?.['reason']).toBe('AccountSid matches no configured provider');
  });

  it('verifies against the public URL behind a proxy', async () => {
    const publicUrl = 'https://relay.example.com/sms';
    const current = await start({ publicBaseUrl: publicUrl });
    const { id, sid } = await sendThroughTwilio(current);

    const response = await postTwilioCallback(current.url, twilioStatusFields(sid, 'delivered'), {
      signedUrl: `${publicUrl}/webhooks/twilio/status`,
      headers: { 'X-Forwarded-Host': 'relay.example.com', 'X-Forwarded-Proto': 'https' },
    });

    expect(response.status).toBe(204);
    expect((await current.message(id)).status).toBe('delivered');
  });

  it('ignores forwarded headers that name another URL', async () => {
    const current = await start({ publicBaseUrl: 'https://relay.example.com/sms' });
    const { id, sid } = await sendThroughTwilio(current);

    const response = await postTwilioCallback(current.url, twilioStatusFields(sid, 'delivered'), {
      signedUrl: 'https://attacker.example.net/webhooks/twilio/status',
      headers: { 'X-Forwarded-Host': 'attacker.example.net', 'X-Forwarded-Proto': 'https' },
    });

    expect(response.status).toBe(403);
    expect((await current.message(id)).status).toBe('sent');
  });

  it('verifies a URL with a query string', async () => {
    const current = await start();
    const { id, sid } = await sendThroughTwilio(current);
    const path = "/webhooks/twilio/status?route=pager&tag=db-1's";

    const response = await postTwilioCallback(current.url, twilioStatusFields(sid, 'delivered'), {
      path,
    });

    expect(response.status).toBe(204);
    expect((await current.message(id)).status).toBe('delivered');
  });

  it('rejects a signature that leaves out the query string', async () => {
    const current = await start();
    const { sid } = await sendThroughTwilio(current);

    const response = await postTwilioCallback(current.url, twilioStatusFields(sid, 'delivered'), {
      path: '/webhooks/twilio/status?route=pager',
      signedUrl: `${current.url}/webhooks/twilio/status`,
    });

    expect(response.status).toBe(403);
  });

  it('uses the request origin without a public base URL', async () => {
    const current = await start({ publicBaseUrl: undefined });
    const { id, sid } = await sendThroughTwilio(current);

    const response = await postTwilioCallback(current.url, twilioStatusFields(sid, 'delivered'));

    expect(response.status).toBe(204);
    expect((await current.message(id)).status).toBe('delivered');
  });

  it('acknowledges a repeated callback once', async () => {
    const current = await start();
    const { id, sid } = await sendThroughTwilio(current);
    const fields = twilioStatusFields(sid, 'delivered');

    const first = await postTwilioCallback(current.url, fields);
    const second = await postTwilioCallback(current.url, fields);

    expect(first.status).toBe(204);
    expect(second.status).toBe(204);
    const history = (await current.message(id)).status_history.map((change) => change.status);
    expect(history.filter((status) => status === 'delivered')).toHaveLength(1);
    const results = current
      .logLines()
      .filter(
        (line) => typeof line['msg'] === 'string' && line['msg'].startsWith('delivery report'),
      )
      .map((line) => line['result']);
    expect(results).toEqual(['recorded', 'duplicate']);
  });

  it('keeps delivered after a late sent callback', async () => {
    const current = await start();
    const { id, sid } = await sendThroughTwilio(current);

    await postTwilioCallback(current.url, twilioStatusFields(sid, 'delivered'));
    const late = await postTwilioCallback(current.url, twilioStatusFields(sid, 'sent'));

    expect(late.status).toBe(204);
    const message = await current.message(id);
    expect(message.status).toBe('delivered');
    expect(message.attempts[0]?.delivery?.status).toBe('delivered');
  });

  it('moves undelivered to delivered on a late confirmation', async () => {
    const current = await start();
    const { id, sid } = await sendThroughTwilio(current);

    await postTwilioCallback(current.url, twilioStatusFields(sid, 'undelivered', '30008'));
    await postTwilioCallback(current.url, twilioStatusFields(sid, 'delivered'));

    const message = await current.message(id);
    expect(message.status).toBe('delivered');
    expect(message.code).toBeNull();
  });

  it('applies a callback that arrives before the send response', async () => {
    let gatewayUrl = '';
    const current = await start({
      twilioResponder: async (request, index) => {
        const sid = twilioSid(index);
        const early = await postTwilioCallback(gatewayUrl, twilioStatusFields(sid, 'delivered'));
        expect(early.status).toBe(204);
        return twilioCreated(request, sid);
      },
    });
    gatewayUrl = current.url;

    const message = await current.sendMessage();

    expect(message.status).toBe('delivered');
    expect(message.status_history.map((change) => change.status)).toEqual([
      'sending',
      'sent',
      'delivered',
    ]);
    const results = current
      .logLines()
      .filter(
        (line) => typeof line['msg'] === 'string' && line['msg'].startsWith('delivery report'),
      )
      .map((line) => line['result']);
    expect(results).toEqual(['pending']);
  });

  it('acknowledges an inbound status without a record', async () => {
    const current = await start();
    const { id, sid } = await sendThroughTwilio(current);

    const response = await postTwilioCallback(current.url, twilioStatusFields(sid, 'received'));

    expect(response.status).toBe(204);
    expect((await current.message(id)).attempts[0]?.delivery).toBeNull();
  });

  it('rejects a callback without MessageSid', async () => {
    const current = await start();
    const fields = twilioStatusFields(twilioSid(1), 'delivered');
    delete fields['MessageSid'];
    delete fields['SmsSid'];

    const response = await postTwilioCallback(current.url, fields);

    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { path: string }[] };
    expect(problem.errors[0]?.path).toBe('MessageSid');
  });
});

describe('Twilio callback URL naming the attempt', () => {
  it('records an early callback on the named attempt', async () => {
    const current = await start({
      twilioResponder: async (request, index) => {
        const sid = twilioSid(index);
        const callbackUrl = new URL(sentFormOf(request).get('StatusCallback') ?? '');
        const early = await postTwilioCallback(
          callbackUrl.origin,
          twilioStatusFields(sid, 'delivered'),
          { path: callbackUrl.pathname + callbackUrl.search },
        );
        expect(early.status).toBe(204);
        return twilioCreated(request, sid);
      },
    });

    const message = await current.sendMessage();

    expect(message.status).toBe('delivered');
    const results = current
      .logLines()
      .filter(
        (line) => typeof line['msg'] === 'string' && line['msg'].startsWith('delivery report'),
      )
      .map((line) => line['result']);
    expect(results).toEqual(['recorded']);
  });

  it('attaches a late callback to a timed-out attempt', async () => {
    const current = await start({
      twilio: { attempt_timeout_ms: 300 },
      twilioResponder: () => 'hang',
    });
    const message = await current.sendMessage();
    expect(message.provider).toBe('vonage-main');
    expect(message.attempts[0]?.outcome).toBe('ambiguous');
    const callbackUrl = new URL(sentFormOf(current.twilio.requests[0]).get('StatusCallback') ?? '');
    const lateSid = twilioSid(99);

    const response = await postTwilioCallback(
      callbackUrl.origin,
      twilioStatusFields(lateSid, 'delivered'),
      { path: callbackUrl.pathname + callbackUrl.search },
    );

    expect(response.status).toBe(204);
    const after = await current.message(message.id);
    expect(after.attempts[0]?.provider_message_id).toBe(lateSid);
    expect(after.attempts[0]?.delivery?.status).toBe('delivered');
    expect(after.provider).toBe('vonage-main');
    expect(after.status).toBe('delivered');
    expect(after.possible_duplicate).toBe(true);
    const page = (await (
      await fetch(`${current.url}/v1/messages`, {
        headers: { Authorization: `Bearer ${RELAY_API_KEY}` },
      })
    ).json()) as { messages: unknown[] };
    expect(page.messages).toHaveLength(1);
  });

  it('keeps a callback for an attempt Twilio did not get pending', async () => {
    const current = await start();
    const message = await current.sendMessage();
    const query = `?message_id=${message.id}&attempt=7`;

    await postTwilioCallback(current.url, twilioStatusFields(twilioSid(50), 'delivered'), {
      path: `/webhooks/twilio/status${query}`,
    });

    const results = current
      .logLines()
      .filter(
        (line) => typeof line['msg'] === 'string' && line['msg'].startsWith('delivery report'),
      )
      .map((line) => line['result']);
    expect(results).toEqual(['pending']);
    expect((await current.message(message.id)).status).toBe('sent');
  });
});

function sentFormOf(request: ReceivedRequest | undefined): URLSearchParams {
  return new URLSearchParams(request?.body ?? '');
}
