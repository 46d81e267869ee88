import { describe, expect, it } from 'vitest';

import { parseConfig } from '../../../src/config/index.js';
import { messageResource, rfc2822, twilioStatus } from '../../../src/http/twilio/resource.js';
import { messageIdOf, messageSid } from '../../../src/http/twilio/sid.js';
import type { StoredMessage } from '../../../src/store/index.js';

const ACCOUNT = `AC${'a1'.repeat(16)}`;
const SERVICE = `MG${'d4'.repeat(16)}`;

const providers = parseConfig(
  `
[[api_keys]]
name = "default"
key = "test-key-0123"

[[providers]]
id = "twilio-number"
type = "twilio"
account_sid = "${ACCOUNT}"
auth_token = "test-auth-token"
from = "+15005550006"

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
providers = ["twilio-number", "twilio-service", "sim"]
`,
  {},
  'test.toml',
).providers;

const created = Date.UTC(2026, 0, 30, 20, 12, 31);

function stored(changes: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id: '8f0c2f9e-1a2b-4c3d-9e8f-0123456789ab',
    principal: 'default',
    requestId: 'request-1',
    mode: 'sync',
    route: 'default',
    to: '+14155550100',
    from: null,
    reference: null,
    encoding: 'GSM-7',
    segments: 1,
    status: 'sent',
    code: null,
    provider: 'sim',
    providerMessageId: 'SIM1',
    possibleDuplicate: false,
    createdAt: created,
    updatedAt: created + 2000,
    expiresAt: null,
    callbackUrl: null,
    body: 'db-1 down',
    history: [
      { status: 'sending', code: null, providerCode: null, at: created },
      { status: 'sent', code: null, providerCode: null, at: created + 2000 },
    ],
    attempts: [],
    ...changes,
  };
}

describe('message SIDs', () => {
  it('maps a UUID to SM and 32 hex digits', () => {
    expect(messageSid('8f0c2f9e-1a2b-4c3d-9e8f-0123456789ab')).toBe(
      'SM8f0c2f9e1a2b4c3d9e8f0123456789ab',
    );
  });

  it('maps the SID back to the UUID', () => {
    expect(messageIdOf('SM8f0c2f9e1a2b4c3d9e8f0123456789ab')).toBe(
      '8f0c2f9e-1a2b-4c3d-9e8f-0123456789ab',
    );
  });

  it.each([
    ['an MMS SID', 'MM8f0c2f9e1a2b4c3d9e8f0123456789ab'],
    ['uppercase hex', 'SM8F0C2F9E1A2B4C3D9E8F0123456789AB'],
    ['a short SID', 'SM8f0c2f9e'],
    ['a UUID', '8f0c2f9e-1a2b-4c3d-9e8f-0123456789ab'],
  ])('rejects %s', (_name, sid) => {
    expect(messageIdOf(sid)).toBeUndefined();
  });
});

describe('rfc2822', () => {
  it('writes the date as Twilio does', () => {
    expect(rfc2822(created)).toBe('Fri, 30 Jan 2026 20:12:31 +0000');
  });

  it('pads the day of the month', () => {
    expect(rfc2822(Date.UTC(2026, 1, 3, 4, 5, 6))).toBe('Tue, 03 Feb 2026 04:05:06 +0000');
  });
});

describe('twilioStatus', () => {
  it.each([
    ['queued', 'queued'],
    ['sending', 'sending'],
    ['sent', 'sent'],
    ['rejected', 'failed'],
    ['failed', 'failed'],
  ] as const)('maps %s to %s', (status, expected) => {
    expect(twilioStatus(status)).toBe(expected);
  });
});

describe('messageResource', () => {
  const context = { accountSid: ACCOUNT, providers };

  it('dates the sending from the sent status change', () => {
    const resource = messageResource(stored(), context);
    expect(resource.date_created).toBe('Fri, 30 Jan 2026 20:12:31 +0000');
    expect(resource.date_sent).toBe('Fri, 30 Jan 2026 20:12:33 +0000');
  });

  it('reports the sender override as from', () => {
    const resource = messageResource(
      stored({ from: 'SmsRelay', provider: 'twilio-service' }),
      context,
    );
    expect(resource.from).toBe('SmsRelay');
    expect(resource.messaging_service_sid).toBeNull();
  });

  it('reports the number of the provider that sent it', () => {
    const resource = messageResource(stored({ provider: 'twilio-number' }), context);
    expect(resource.from).toBe('+15005550006');
    expect(resource.messaging_service_sid).toBeNull();
  });

  it('reports the Messaging Service of the provider that sent it', () => {
    const resource = messageResource(stored({ provider: 'twilio-service' }), context);
    expect(resource.from).toBeNull();
    expect(resource.messaging_service_sid).toBe(SERVICE);
  });

  it('reports no sender for a provider without one', () => {
    const resource = messageResource(stored(), context);
    expect(resource.from).toBeNull();
    expect(resource.messaging_service_sid).toBeNull();
  });

  it.each([
    ['all_providers_failed', 20500, 'All providers failed'],
    ['outcome_unknown', 20500, 'Outcome unknown'],
    ['recipient_opted_out', 21610, 'Recipient opted out'],
    ['expired', 30036, 'Validity period expired'],
    ['interrupted', 20500, 'Interrupted by a gateway restart'],
  ])('reports end code %s as error %i', (code, errorCode, errorMessage) => {
    const resource = messageResource(stored({ status: 'failed', code, history: [] }), context);
    expect(resource.status).toBe('failed');
    expect(resource.error_code).toBe(errorCode);
    expect(resource.error_message).toBe(errorMessage);
    expect(resource.date_sent).toBeNull();
  });
});
