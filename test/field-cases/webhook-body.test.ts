import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  startDeliveryRelay,
  vonageReceiptFields,
  type DeliveryRelay,
} from '../helpers/delivery.js';
import { twilioAccount } from '../helpers/provider-wire.js';

// Every webhook body is read once as bytes and parsed from that buffer: form or JSON by content
// type, and JSON after a failed form attempt. One gateway serves every input below.

let relay: DeliveryRelay;
let twilioSidSent: string;
let vonageIdSent: string;

beforeAll(async () => {
  relay = await startDeliveryRelay({ publicBaseUrl: 'self' });
  twilioSidSent = (await relay.sendMessage()).provider_message_id ?? '';
  relay.gateway.slots.get('twilio-main')?.drain();
  vonageIdSent = (await relay.sendMessage()).provider_message_id ?? '';
});

afterAll(async () => {
  await relay.close();
});

/** Posts raw `body` bytes to `path` with `contentType`, or with no Content-Type when undefined. */
function post(
  path: string,
  body: string | Uint8Array,
  contentType: string | undefined,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${relay.url}${path}`, {
    method: 'POST',
    headers: { ...(contentType === undefined ? {} : { 'Content-Type': contentType }), ...headers },
    // A Blob keeps fetch from adding a Content-Type of its own.
    body: new Blob([body]),
  });
}

async function attemptDelivery(providerMessageId: string): Promise<string | undefined> {
  const sent = relay.gateway.store;
  const page = await sent.listMessages('field-tests', { limit: 10 });
  for (const summary of page.messages) {
    const message = await sent.getMessage('field-tests', summary.id);
    const attempt = message?.attempts.find((a) => a.providerMessageId === providerMessageId);
    if (attempt !== undefined) {
      return attempt.delivery?.status;
    }
  }
  return undefined;
}

describe('webhook body parsing', () => {
  it('parses a signed Twilio form body', async () => {
    const body = `MessageSid=${twilioSidSent}&MessageStatus=sent&To=%2B15005550006`;
    const params = Object.fromEntries(new URLSearchParams(body));
    const url = `${relay.url}/webhooks/twilio/status`;
    const signature = twilio.getExpectedTwilioSignature(twilioAccount.authToken, url, params);

    const response = await post(
      '/webhooks/twilio/status',
      body,
      'application/x-www-form-urlencoded',
      {
        'X-Twilio-Signature': signature,
      },
    );

    expect(response.status).toBe(204);
    expect(await attemptDelivery(twilioSidSent)).toBe('sent');
  });

  it('parses a Vonage JSON body on the form-first path', async () => {
    const body = JSON.stringify(vonageReceiptFields(vonageIdSent, 'accepted'));

    const response = await post('/webhooks/vonage/status', body, 'application/json');

    expect(response.status).toBe(204);
    expect(await attemptDelivery(vonageIdSent)).toBe('sent');
  });

  it('parses JSON sent with a form content type', async () => {
    const body = JSON.stringify(vonageReceiptFields(vonageIdSent, 'buffered'));

    const response = await post('/webhooks/vonage/dlr', body, 'application/x-www-form-urlencoded');

    expect(response.status).toBe(204);
  });

  it('parses JSON without a content type', async () => {
    const body = JSON.stringify(vonageReceiptFields(vonageIdSent, 'expired', '1'));

    const response = await post('/webhooks/vonage/dlr', body, undefined);

    expect(response.status).toBe(204);
    expect(await attemptDelivery(vonageIdSent)).toBe('undelivered');
  });

  it('parses a form without a content type', async () => {
    const body = new URLSearchParams(vonageReceiptFields(vonageIdSent, 'delivered')).toString();

    const response = await post('/webhooks/vonage/dlr', body, undefined);

    expect(response.status).toBe(204);
    expect(await attemptDelivery(vonageIdSent)).toBe('delivered');
  });

  it('parses a form sent as text/plain', async () => {
    const body = new URLSearchParams(vonageReceiptFields(vonageIdSent, 'accepted')).toString();

    const response = await post('/webhooks/vonage/dlr', body, 'text/plain; charset=utf-8');

    expect(response.status).toBe(204);
  });

  it('answers 400 for malformed JSON', async () => {
    const response = await post(
      '/webhooks/vonage/dlr',
      '{"messageId": "0C01",',
      'application/json',
    );

    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toBe(
      'The body is not valid JSON.',
    );
  });

  it('answers 400 for a JSON array', async () => {
    const response = await post('/webhooks/vonage/dlr', '[1, 2]', 'application/json');

    expect(response.status).toBe(400);
  });

  it('answers 400 for a nested JSON member', async () => {
    const body = JSON.stringify({ ...vonageReceiptFields(vonageIdSent, 'delivered'), usage: {} });

    const response = await post('/webhooks/vonage/dlr', body, 'application/json');

    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toContain('"usage"');
  });

  it('answers 400 for a body that is not UTF-8', async () => {
    const response = await post(
      '/webhooks/vonage/dlr',
      new Uint8Array([0x6d, 0xff, 0xfe]),
      undefined,
    );

    expect(response.status).toBe(400);
  });

  it('answers 415 for another content type', async () => {
    const response = await post('/webhooks/vonage/dlr', '<receipt/>', 'application/xml');

    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});
