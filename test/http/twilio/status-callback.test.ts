import twilio from 'twilio';
import { describe, expect, it } from 'vitest';

import { parseConfig } from '../../../src/config/index.js';
import {
  statusCallbackParameters,
  twilioCallbackEncoder,
  twilioSignature,
} from '../../../src/http/twilio/status-callback.js';
import type { CallbackDelivery } from '../../../src/store/index.js';

const ACCOUNT = `AC${'a1'.repeat(16)}`;
const SERVICE = `MG${'d4'.repeat(16)}`;
const API_KEY = 'test-key-0123';
const URL = 'https://hooks.example.com/sms/status?tenant=7';

const config = parseConfig(
  `
[[api_keys]]
name = "alerting"
key = "${API_KEY}"
account_sid = "${ACCOUNT}"

[[api_keys]]
name = "no-account"
key = "test-key-4567"

[[providers]]
id = "twilio-service"
type = "twilio"
account_sid = "${ACCOUNT}"
auth_token = "test-auth-token"
messaging_service_sid = "${SERVICE}"

[[providers]]
id = "sim"
type = "simulator"

[routes.default]
providers = ["twilio-service", "sim"]
`,
  {},
  'test.toml',
);

function delivery(changes: Partial<CallbackDelivery> = {}): CallbackDelivery {
  return {
    eventId: '8f0c2f9e-1a2b-4c3d-9e8f-0123456789ab:2',
    messageId: '8f0c2f9e-1a2b-4c3d-9e8f-0123456789ab',
    principal: 'alerting',
    url: URL,
    format: 'twilio',
    to: '+14155550100',
    from: '+15005550006',
    status: 'sent',
    code: null,
    provider: 'sim',
    providerMessageId: 'SIM1',
    possibleDuplicate: false,
    reference: null,
    changedAt: 1_000,
    attempts: 1,
    ...changes,
  };
}

describe('twilioSignature', () => {
  it("matches Twilio's published example", () => {
    // The example in TwilioDevEd/api-snippets, security/signature_validation/signature_validation.3.x.js.
    const params = {
      CallSid: 'CA1234567890ABCDE',
      Caller: '+14158675310',
      Digits: '1234',
      From: '+14158675310',
      To: '+18005551212',
    };

    const signature = twilioSignature(
      '12345',
      'https://mycompany.com/myapp.php?foo=1&bar=2',
      params,
    );

    expect(signature).toBe('GvWf1cFY/Q7PnoempGyD5oXAezc=');
  });

  it('sorts names by code unit, as twilio-node does', () => {
    const params = { b: '1', B: '2', a: '3', _: '4', Z: '5' };

    const signature = twilioSignature(API_KEY, URL, params);

    expect(signature).toBe(twilio.getExpectedTwilioSignature(API_KEY, URL, params));
  });
});

describe('statusCallbackParameters', () => {
  it('takes the Messaging Service of the provider without a sender', () => {
    const params = statusCallbackParameters(
      delivery({ from: null, provider: 'twilio-service' }),
      ACCOUNT,
      config.providers,
    );

    expect(params['MessagingServiceSid']).toBe(SERVICE);
    expect(params['From']).toBeUndefined();
  });

  it.each([
    ['expired', 'failed', '30036'],
    ['invalid_recipient', 'rejected', '21211'],
    ['interrupted', 'failed', '20500'],
  ] as const)('maps code %s to ErrorCode %s', (code, status, errorCode) => {
    const params = statusCallbackParameters(delivery({ status, code }), ACCOUNT, config.providers);

    expect(params['MessageStatus']).toBe('failed');
    expect(params['ErrorCode']).toBe(errorCode);
  });

  it('leaves out ErrorCode of a recovered sent', () => {
    const params = statusCallbackParameters(
      delivery({ status: 'sent', code: 'recovered' }),
      ACCOUNT,
      config.providers,
    );

    expect(params['MessageStatus']).toBe('sent');
    expect(params['ErrorCode']).toBeUndefined();
  });
});

describe('twilioCallbackEncoder', () => {
  const encode = twilioCallbackEncoder(config.api_keys, config.providers);

  it('gives up on a key without an account_sid', () => {
    const content = encode(delivery({ principal: 'no-account' }), 1_000);

    expect(content.ok).toBe(false);
    expect(content).toHaveProperty('reason', 'signing_key_missing');
  });

  it('gives up on a key that is gone', () => {
    const content = encode(delivery({ principal: 'removed' }), 1_000);

    expect(content.ok).toBe(false);
    expect(content).toHaveProperty('error', expect.stringContaining('API key "removed"'));
  });
});
