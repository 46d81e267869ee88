import { afterEach, describe, expect, it } from 'vitest';

import { startDeliveryRelay, type DeliveryRelay } from '../helpers/delivery.js';
import { sentForm, sentJson } from '../helpers/provider-wire.js';

let relay: DeliveryRelay | undefined;

afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

describe('per-message callback URL on the wire', () => {
  it('passes StatusCallback to Twilio', async () => {
    relay = await startDeliveryRelay({ publicBaseUrl: 'https://relay.example.com/sms/' });

    const message = await relay.sendMessage();

    const url = new URL(sentForm(relay.twilio).get('StatusCallback') ?? '');
    expect(url.origin + url.pathname).toBe('https://relay.example.com/sms/webhooks/twilio/status');
    expect(url.searchParams.get('message_id')).toBe(message.id);
    expect(url.searchParams.get('attempt')).toBe('1');
  });

  it('passes callback to Vonage', async () => {
    relay = await startDeliveryRelay({
      publicBaseUrl: 'https://relay.example.com',
      vonageFirst: true,
    });

    await relay.sendMessage();

    expect(sentJson(relay.vonage)['callback']).toBe(
      'https://relay.example.com/webhooks/vonage/dlr',
    );
  });

  it('passes no callback without a public base URL', async () => {
    relay = await startDeliveryRelay();

    await relay.sendMessage();

    expect(sentForm(relay.twilio).has('StatusCallback')).toBe(false);
  });

  it('passes no callback to Vonage without a public base URL', async () => {
    relay = await startDeliveryRelay({ vonageFirst: true });

    await relay.sendMessage();

    expect(Object.keys(sentJson(relay.vonage))).not.toContain('callback');
  });
});
