import { afterEach, describe, expect, it } from 'vitest';

import type { FakeProvider } from '../helpers/provider-fakes.js';
import {
  startTwilioFake,
  startVonageFake,
  twilioCreated,
  sentForm,
  sentJson,
  twilioSid,
} from '../helpers/provider-wire.js';
import {
  messageBody,
  relayToml,
  startRelay,
  TWILIO_ID,
  VONAGE_ID,
  type Relay,
} from '../helpers/relay.js';

let twilio: FakeProvider;
let vonage: FakeProvider;
let relay: Relay;

afterEach(async () => {
  await relay.close();
  await twilio.close();
  await vonage.close();
});

/**
 * Starts the gateway with a Twilio fake whose resource has no `num_segments`, so the response's
 * `segments` is the gateway's own estimate.
 */
async function start(topLevel: Record<string, string> = {}): Promise<void> {
  twilio = await startTwilioFake((request, index) =>
    twilioCreated(request, twilioSid(index), null),
  );
  vonage = await startVonageFake();
  relay = startRelay(relayToml({ twilioUrl: twilio.url, vonageUrl: vonage.url, topLevel }));
}

describe('encoding and segments of message bodies', () => {
  const bodies: ReadonlyArray<[string, string, 'GSM-7' | 'UCS-2', number]> = [
    ['GSM extension characters before a UCS-2 one', `${'|'.repeat(69)}∞`, 'UCS-2', 1],
    ['a euro sign making 161 septets', `${'a'.repeat(159)}€`, 'GSM-7', 2],
    ['a euro sign making 160 septets', `${'a'.repeat(158)}€`, 'GSM-7', 1],
    ['CR and LF', 'Line1\r\nLine2', 'GSM-7', 1],
    ['an emoji after GSM extension characters', `this is a ${']'.repeat(75)}😘`, 'UCS-2', 2],
  ];

  it.each(bodies)('estimates %s', async (_name, text, encoding, segments) => {
    await start();
    const response = await relay.send({ to: '+15005550006', body: text });
    const body = await messageBody(response);

    expect(response.status).toBe(200);
    expect(body.encoding).toBe(encoding);
    expect(body.segments).toBe(segments);
  });

  it.each(bodies)('passes %s to twilio unchanged', async (_name, text) => {
    await start();
    await relay.send({ to: '+15005550006', body: text });

    expect(sentForm(twilio).get('Body')).toBe(text);
  });

  it.each(bodies)('tells vonage the encoding of %s', async (_name, text, encoding) => {
    await start();
    relay.gateway.slots.get(TWILIO_ID)?.breaker.forceOpen('opened by the test');
    const body = await messageBody(await relay.send({ to: '+15005550006', body: text }));

    expect(body.provider).toBe(VONAGE_ID);
    expect(sentJson(vonage)['type']).toBe(encoding === 'UCS-2' ? 'unicode' : 'text');
    expect(sentJson(vonage)['text']).toBe(text);
  });
});

describe('recipient normalization to E.164', () => {
  const accepted: ReadonlyArray<[string, string]> = [
    ['+44 07700 900123', '+447700900123'],
    ['+4407700900123', '+447700900123'],
    ['+1 (500) 555-0006', '+15005550006'],
  ];

  it.each(accepted)('normalizes %s', async (input, e164) => {
    await start();
    const response = await relay.send({ to: input, body: 'db-1 disk full' });
    const body = await messageBody(response);

    expect(response.status).toBe(200);
    expect(body.to).toBe(e164);
    expect(body.provider).toBe(TWILIO_ID);
  });

  it.each(accepted)('sends %s to twilio in E.164', async (input, e164) => {
    await start();
    await relay.send({ to: input, body: 'db-1 disk full' });

    expect(twilio.requests).toHaveLength(1);
    expect(sentForm(twilio).get('To')).toBe(e164);
  });

  it('rejects a national number without a default region', async () => {
    await start();
    const response = await relay.send({ to: '07700 900123', body: 'db-1 disk full' });
    const body = await messageBody(response);

    expect(response.status).toBe(400);
    expect(body.code).toBe('invalid_request');
    expect(body.errors).toEqual([
      expect.objectContaining({ path: 'to', code: 'missing_country_code' }),
    ]);
  });

  it('calls no provider for a rejected number', async () => {
    await start();
    await relay.send({ to: '07700 900123', body: 'db-1 disk full' });

    expect(twilio.requests).toHaveLength(0);
    expect(vonage.requests).toHaveLength(0);
  });

  it('reads a national number in the default region', async () => {
    await start({ default_region: 'GB' });
    const response = await relay.send({ to: '07700 900123', body: 'db-1 disk full' });

    expect((await messageBody(response)).to).toBe('+447700900123');
    expect(sentForm(twilio).get('To')).toBe('+447700900123');
  });
});
