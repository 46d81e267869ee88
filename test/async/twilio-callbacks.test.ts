import { rmSync } from 'node:fs';

import twilio from 'twilio';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { webhookHeaders } from '../../src/escalation/index.js';
import { messageIdOf } from '../../src/http/twilio/sid.js';
import type { SqliteStore } from '../../src/store/index.js';
import {
  API_KEY,
  createTestGateway,
  SECOND_API_KEY,
  type TestGateway,
} from '../helpers/gateway.js';
import {
  startFakeProvider,
  type FakeProvider,
  type ReceivedRequest,
} from '../helpers/provider-fakes.js';
import { ACCOUNT_SID, createMessage, SENDER, twilioApiToml } from '../helpers/twilio-api.js';

const RECIPIENT = '+14155550100';
const SECRET = 'callback-test-secret-0001';

/** The parameters of a status callback for Twilio's SMS, as Twilio sends them. */
const TWILIO_PARAMETERS = [
  'AccountSid',
  'ApiVersion',
  'From',
  'MessageSid',
  'MessageStatus',
  'SmsSid',
  'SmsStatus',
  'To',
];

let receiver: FakeProvider;
const cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

async function startReceiver(): Promise<FakeProvider> {
  receiver = await startFakeProvider(() => ({ status: 200 }));
  cleanup.push(() => receiver.close());
  return receiver;
}

/** Returns a config whose API keys have Account SIDs and whose callbacks go out at once. */
function config(): string {
  return twilioApiToml({
    extra: `[escalation.webhook]
url = "${receiver.url}/escalations"
secret = "${SECRET}"

[queue]
poll_interval_ms = 10

[callbacks]
poll_interval_ms = 10
initial_backoff_ms = 1
`,
  });
}

/** Creates a gateway on `toml` and starts its senders; `dataDir` reopens an earlier store. */
async function start(toml: string, dataDir?: string): Promise<TestGateway> {
  const relay = createTestGateway(toml, dataDir === undefined ? {} : { dataDir });
  cleanup.push(() => relay.close());
  await relay.gateway.queue.start(() => undefined);
  await relay.gateway.callbacks.start(() => undefined);
  return relay;
}

/** Returns the callback URL that the receiver serves, with a query string. */
function callbackUrl(): string {
  return `${receiver.url}/twilio/status?tenant=7&label=a%20b`;
}

function header(request: ReceivedRequest | undefined, name: string): string | undefined {
  const value = request?.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Returns the form parameters of a request as an object, as Express's body parser does. */
function formOf(request: ReceivedRequest | undefined): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(request?.body ?? ''));
}

/** Returns true when twilio-node's `validateRequest` accepts the request with `authToken`. */
function validates(request: ReceivedRequest | undefined, authToken: string, url: string): boolean {
  const signature = header(request, 'X-Twilio-Signature') ?? '';
  return twilio.validateRequest(authToken, signature, url, formOf(request));
}

function deliveryStates(relay: TestGateway): Array<{ state: string; last_error: string | null }> {
  const { db } = relay.gateway.store as SqliteStore;
  return db
    .prepare('SELECT state, last_error FROM callback_deliveries ORDER BY message_id, seq')
    .all() as Array<{ state: string; last_error: string | null }>;
}

describe('Twilio status callbacks', () => {
  it('signs so that validateRequest accepts the API key', async () => {
    await startReceiver();
    const relay = await start(config());

    const response = await createMessage(relay, {
      To: RECIPIENT,
      From: SENDER,
      Body: 'db-1 down',
      StatusCallback: callbackUrl(),
    });
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1));
    const [request] = receiver.requests;
    const tampered = { ...formOf(request), MessageStatus: 'delivered' };

    expect(response.status).toBe(201);
    expect(request?.path).toBe('/twilio/status?tenant=7&label=a%20b');
    expect(header(request, 'Content-Type')).toBe('application/x-www-form-urlencoded');
    expect(validates(request, API_KEY, callbackUrl())).toBe(true);
    expect(validates(request, SECOND_API_KEY, callbackUrl())).toBe(false);
    expect(validates(request, API_KEY, `${receiver.url}/twilio/status`)).toBe(false);
    expect(
      twilio.validateRequest(
        API_KEY,
        header(request, 'X-Twilio-Signature') ?? '',
        callbackUrl(),
        tampered,
      ),
    ).toBe(false);
  });

  it("posts Twilio's parameters", async () => {
    await startReceiver();
    const relay = await start(config());

    const response = await createMessage(relay, {
      To: RECIPIENT,
      From: SENDER,
      Body: 'db-1 down',
      StatusCallback: callbackUrl(),
    });
    const created = (await response.json()) as { sid: string };
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1));
    const [request] = receiver.requests;
    const form = formOf(request);

    expect(Object.keys(form).sort()).toEqual(TWILIO_PARAMETERS);
    expect(form['MessageSid']).toBe(created.sid);
    expect(form['SmsSid']).toBe(created.sid);
    expect(form['MessageStatus']).toBe('sent');
    expect(form['SmsStatus']).toBe('sent');
    expect(form['AccountSid']).toBe(ACCOUNT_SID);
    expect(form['From']).toBe(SENDER);
    expect(form['To']).toBe(RECIPIENT);
    expect(form['ApiVersion']).toBe('2010-04-01');
    expect(header(request, webhookHeaders.eventId)).toBe(`${messageIdOf(created.sid)}:2`);
    expect(header(request, webhookHeaders.signature)).toBeUndefined();
  });

  it('posts each change of an async message with ErrorCode', async () => {
    await startReceiver();
    const relay = await start(config());
    relay.simulator('sim-a').simulate({ mode: 'rejected' });

    const response = await createMessage(
      relay,
      { To: RECIPIENT, From: SENDER, Body: 'db-1 down', StatusCallback: callbackUrl() },
      { Prefer: 'respond-async' },
    );
    const created = (await response.json()) as { sid: string };
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(2));
    const forms = receiver.requests.map(formOf);
    const eventIds = receiver.requests.map((request) => header(request, webhookHeaders.eventId));

    expect(response.status).toBe(201);
    expect(forms.map((form) => form['MessageStatus'])).toEqual(['sending', 'failed']);
    expect(forms[0]?.['ErrorCode']).toBeUndefined();
    expect(forms[1]?.['ErrorCode']).toBe('21211');
    expect(forms[1]?.['MessageSid']).toBe(created.sid);
    expect(eventIds).toEqual([`${messageIdOf(created.sid)}:2`, `${messageIdOf(created.sid)}:3`]);
    receiver.requests.forEach((request, index) => {
      expect(validates(request, API_KEY, callbackUrl()), `request ${index}`).toBe(true);
    });
  });

  it('leaves out From when no sender is known', async () => {
    await startReceiver();
    const relay = await start(config());

    await createMessage(relay, {
      To: RECIPIENT,
      MessagingServiceSid: `MG${'0'.repeat(32)}`,
      Body: 'db-1 down',
      StatusCallback: callbackUrl(),
    });
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1));
    const form = formOf(receiver.requests[0]);

    expect(form['MessageStatus']).toBe('sent');
    expect(form['From']).toBeUndefined();
    expect(form['MessagingServiceSid']).toBeUndefined();
    expect(validates(receiver.requests[0], API_KEY, callbackUrl())).toBe(true);
  });

  it('keeps JSON for /v1 messages', async () => {
    await startReceiver();
    const relay = await start(config());

    const response = await relay.send({
      to: RECIPIENT,
      body: 'db-1 down',
      callback_url: `${receiver.url}/v1/status`,
    });
    const sent = (await response.json()) as { id: string };
    await vi.waitFor(() => expect(receiver.requests).toHaveLength(1));
    const [request] = receiver.requests;
    const posted = JSON.parse(request?.body ?? '{}') as Record<string, unknown>;

    expect(header(request, 'Content-Type')).toBe('application/json');
    expect(header(request, 'X-Twilio-Signature')).toBeUndefined();
    expect(header(request, webhookHeaders.signature)).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(posted['event']).toBe('message.status');
    expect(posted['message_id']).toBe(sent.id);
    expect(posted['status']).toBe('sent');
  });
});

describe('Twilio status callbacks of a removed API key', () => {
  it('gives up with a logged error', async () => {
    await startReceiver();
    const toml = config();
    // This gateway's callback sender never starts, so the deliveries wait in the store.
    const first = createTestGateway(toml);
    cleanup.push(() => rmSync(first.dataDir, { recursive: true, force: true }));
    const params = { To: RECIPIENT, From: SENDER, Body: 'db-1 down' };
    await createMessage(first, { ...params, StatusCallback: callbackUrl() });
    await first.send({ to: RECIPIENT, body: 'db-1 down', callback_url: `${receiver.url}/v1` });
    await first.gateway.close();

    // The first API key, "alerting", which sent both messages, is gone from the new config.
    const withoutKey = toml.replace(/\[\[api_keys\]\]\s+name = "alerting"[^[]*/, '');
    const second = await start(withoutKey, first.dataDir);
    await vi.waitFor(() =>
      expect(
        deliveryStates(second)
          .map((row) => row.state)
          .sort(),
      ).toEqual(['delivered', 'gave_up']),
    );
    const states = deliveryStates(second);
    const gaveUp = second.logLines().find((line) => line['msg'] === 'status callback gave up');

    expect(withoutKey).not.toContain(API_KEY);
    expect(states.find((row) => row.state === 'gave_up')?.last_error).toContain('account_sid');
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]?.path).toBe('/v1');
    expect(gaveUp?.['level']).toBe(50);
    expect(gaveUp?.['reason']).toBe('signing_key_missing');
    expect(gaveUp?.['http_status']).toBeNull();
    expect(String(gaveUp?.['error'])).toContain('API key "alerting"');
    expect(second.logText()).not.toContain(API_KEY);
  });
});
