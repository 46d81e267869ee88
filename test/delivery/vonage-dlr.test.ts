import { Vonage } from '@vonage/server-sdk';
import { afterEach, describe, expect, it } from 'vitest';

import {
  postVonageReceipt,
  signVonageReceipt,
  startDeliveryRelay,
  vonageReceiptFields,
  type DeliveryRelay,
  type DeliveryRelayOptions,
} from '../helpers/delivery.js';
import { vonageAccount } from '../helpers/provider-wire.js';

const SECRET = 'vonage-signature-secret-0001';
const methods = ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'] as const;

// The names @vonage/auth 1.x gives the same methods, for the SDK's own verifySignature.
const sdkAlgorithms = {
  md5hash: 'MD5HASH',
  md5: 'MD5HMAC',
  sha1: 'SHA1HMAC',
  sha256: 'SHA256HMAC',
  sha512: 'SHA512HMAC',
} as const;

let relay: DeliveryRelay | undefined;

afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

/** Starts a gateway whose default route sends through Vonage first. */
async function start(options: DeliveryRelayOptions = {}): Promise<DeliveryRelay> {
  relay = await startDeliveryRelay({ publicBaseUrl: 'self', vonageFirst: true, ...options });
  return relay;
}

function signedWith(method: (typeof methods)[number]): DeliveryRelayOptions {
  return { vonage: { options: { signature_secret: SECRET, signature_method: method } } };
}

async function sendThroughVonage(current: DeliveryRelay): Promise<{ id: string; ref: string }> {
  const message = await current.sendMessage();
  expect(message.provider).toBe('vonage-main');
  return { id: message.id, ref: message.provider_message_id ?? '' };
}

describe('Vonage delivery receipt, unsigned', () => {
  it('records a JSON receipt when no secret is configured', async () => {
    const current = await start();
    const { id, ref } = await sendThroughVonage(current);

    const response = await postVonageReceipt(current.url, vonageReceiptFields(ref, 'delivered'));

    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect((await current.message(id)).status).toBe('delivered');
  });

  it('records a form receipt on the status alias', async () => {
    const current = await start();
    const { id, ref } = await sendThroughVonage(current);
    const fields = vonageReceiptFields(ref, 'delivered');

    const response = await postVonageReceipt(
      current.url,
      fields,
      'form',
      '/webhooks/vonage/status',
    );

    expect(response.status).toBe(204);
    expect((await current.message(id)).status).toBe('delivered');
  });

  it('records a receipt sent as a GET query', async () => {
    const current = await start();
    const { id, ref } = await sendThroughVonage(current);

    const response = await postVonageReceipt(
      current.url,
      vonageReceiptFields(ref, 'delivered'),
      'get',
    );

    expect(response.status).toBe(204);
    expect((await current.message(id)).status).toBe('delivered');
  });

  it('maps expired with err-code 2 to undelivered', async () => {
    const current = await start();
    const { id, ref } = await sendThroughVonage(current);

    await postVonageReceipt(current.url, vonageReceiptFields(ref, 'expired', '2'));

    const message = await current.message(id);
    expect(message.status).toBe('undelivered');
    expect(message.code).toBe('temporary_failure');
    expect(message.status_history.at(-1)?.provider_code).toBe('2');
  });

  it('keeps an accepted receipt below sent', async () => {
    const current = await start();
    const { id, ref } = await sendThroughVonage(current);

    await postVonageReceipt(current.url, vonageReceiptFields(ref, 'accepted'));

    const message = await current.message(id);
    expect(message.status).toBe('sent');
    expect(message.attempts[0]?.delivery?.status).toBe('sent');
  });

  it('rejects an api-key of no configured provider', async () => {
    const current = await start();
    const { id, ref } = await sendThroughVonage(current);
    const fields = { ...vonageReceiptFields(ref, 'delivered'), 'api-key': 'otherkey' };

    const response = await postVonageReceipt(current.url, fields);

    expect(response.status).toBe(403);
    expect((await current.message(id)).status).toBe('sent');
  });
});

describe('Vonage delivery receipt, signed', () => {
  for (const method of methods) {
    it(`accepts a receipt signed with ${method}`, async () => {
      const current = await start(signedWith(method));
      const { id, ref } = await sendThroughVonage(current);
      const fields = signVonageReceipt(vonageReceiptFields(ref, 'delivered'), SECRET, method);

      const response = await postVonageReceipt(current.url, fields);

      expect(response.status).toBe(204);
      expect((await current.message(id)).status).toBe('delivered');
    });
  }

  it('signs test receipts as the Vonage SDK verifies them', () => {
    const sdk = new Vonage({ apiKey: vonageAccount.apiKey, apiSecret: vonageAccount.apiSecret });
    for (const method of methods) {
      const fields = signVonageReceipt(vonageReceiptFields('0C0001', 'delivered'), SECRET, method);
      const { sig, ...rest } = fields;
      const algorithm = sdkAlgorithms[method] as Parameters<typeof sdk.sms.verifySignature>[3];

      expect(sdk.sms.verifySignature(sig ?? '', rest, SECRET, algorithm)).toBe(true);
    }
  });

  it('rejects a bad signature and records nothing', async () => {
    const current = await start(signedWith('sha256'));
    const { id, ref } = await sendThroughVonage(current);
    const fields = signVonageReceipt(
      vonageReceiptFields(ref, 'delivered'),
      'wrong-secret',
      'sha256',
    );

    const response = await postVonageReceipt(current.url, fields);

    expect(response.status).toBe(403);
    const message = await current.message(id);
    expect(message.status).toBe('sent');
    expect(message.attempts[0]?.delivery).toBeNull();
    const rejected = current.logLines().find((line) => line['msg'] === 'webhook request rejected');
    expect(rejected?.['reason']).toBe('signature mismatch');
    expect(current.logText()).not.toContain(SECRET);
  });

  it('rejects a receipt whose field was changed after signing', async () => {
    const current = await start(signedWith('md5hash'));
    const { ref } = await sendThroughVonage(current);
    const fields = signVonageReceipt(vonageReceiptFields(ref, 'delivered'), SECRET, 'md5hash');

    const response = await postVonageReceipt(current.url, { ...fields, status: 'failed' });

    expect(response.status).toBe(403);
  });

  it('rejects an unsigned receipt when a secret is configured', async () => {
    const current = await start(signedWith('md5hash'));
    const { ref } = await sendThroughVonage(current);

    const response = await postVonageReceipt(current.url, vonageReceiptFields(ref, 'delivered'));

    expect(response.status).toBe(403);
    const rejected = current.logLines().find((line) => line['msg'] === 'webhook request rejected');
    expect(rejected?.['reason']).toBe('missing sig');
  });

  it('rejects a signed receipt older than the allowed age', async () => {
    const current = await start(signedWith('sha1'));
    const { ref } = await sendThroughVonage(current);
    const anHourAgo = Math.floor(Date.now() / 1000) - 3600;
    const fields = signVonageReceipt(
      vonageReceiptFields(ref, 'delivered'),
      SECRET,
      'sha1',
      anHourAgo,
    );

    const response = await postVonageReceipt(current.url, fields);

    expect(response.status).toBe(403);
    const rejected = current.logLines().find((line) => line['msg'] === 'webhook request rejected');
    expect(rejected?.['reason']).toBe('timestamp outside the allowed age');
  });

  it('accepts a signed receipt posted as a form', async () => {
    const current = await start(signedWith('sha512'));
    const { id, ref } = await sendThroughVonage(current);
    const fields = signVonageReceipt(vonageReceiptFields(ref, 'delivered'), SECRET, 'sha512');

    const response = await postVonageReceipt(current.url, fields, 'form');

    expect(response.status).toBe(204);
    expect((await current.message(id)).status).toBe('delivered');
  });

  it('delivers on a signed receipt after a forged one', async () => {
    // A second Vonage account without a signature secret, which no route sends through.
    const otherAccount = [
      '[[providers]]',
      'id = "vonage-other"',
      'type = "vonage"',
      'api_key = "otherkey02"',
      'api_secret = "other-vonage-secret-0002"',
      'from = "SMSRelay"',
    ].join('\n');
    const current = await start({ ...signedWith('sha256'), extra: otherAccount });
    const { id, ref } = await sendThroughVonage(current);
    const unsignedFields = { ...vonageReceiptFields(ref, 'delivered'), 'api-key': 'otherkey02' };

    const unsigned = await postVonageReceipt(current.url, unsignedFields);
    const signedFields = signVonageReceipt(vonageReceiptFields(ref, 'delivered'), SECRET, 'sha256');
    const signed = await postVonageReceipt(current.url, signedFields);

    expect(unsigned.status).toBe(204);
    expect(signed.status).toBe(204);
    const results = current
      .logLines()
      .filter(
        (line) => typeof line['msg'] === 'string' && line['msg'].startsWith('delivery report'),
      )
      .map((line) => line['msg']);
    expect(results).toEqual(['delivery report pending', 'delivery report recorded']);
    expect((await current.message(id)).status).toBe('delivered');
  });
});
