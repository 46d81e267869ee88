import { afterEach, describe, expect, it } from 'vitest';

import { messageIdOf } from '../../../src/http/twilio/sid.js';
import {
  API_KEY,
  createTestGateway,
  gatewayToml,
  SECOND_API_KEY,
  type TestGateway,
} from '../../helpers/gateway.js';
import { startFakeProvider, type FakeProvider } from '../../helpers/provider-fakes.js';
import {
  ACCOUNT_SID,
  basicAuth,
  createMessage,
  getTwilio,
  messageUri,
  SECOND_ACCOUNT_SID,
  SENDER,
  twilioApiToml,
  type TwilioErrorBody,
} from '../../helpers/twilio-api.js';

const RECIPIENT = '+14155550100';
const BODY = 'db-1 disk 97% full';
const params = { To: RECIPIENT, From: SENDER, Body: BODY };
const RFC_2822 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

let current: TestGateway | undefined;

function start(toml = twilioApiToml()): TestGateway {
  current = createTestGateway(toml);
  return current;
}

afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function resourceOf(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

describe('POST Messages.json, sent', () => {
  it('answers 201 with a Message resource', async () => {
    const relay = start();
    const response = await createMessage(relay, params);
    const resource = await resourceOf(response);

    expect(response.status).toBe(201);
    expect(response.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(resource['sid']).toMatch(/^SM[0-9a-f]{32}$/);
    expect(resource['account_sid']).toBe(ACCOUNT_SID);
    expect(resource['status']).toBe('sent');
    expect(resource['to']).toBe(RECIPIENT);
    expect(resource['from']).toBe(SENDER);
    expect(resource['body']).toBe(BODY);
    expect(resource['direction']).toBe('outbound-api');
    expect(resource['api_version']).toBe('2010-04-01');
  });

  it('writes counts as strings and prices as null', async () => {
    const relay = start();
    const resource = await resourceOf(await createMessage(relay, params));

    expect(resource['num_segments']).toBe('1');
    expect(resource['num_media']).toBe('0');
    expect(resource['price']).toBeNull();
    expect(resource['price_unit']).toBeNull();
    expect(resource['error_code']).toBeNull();
    expect(resource['error_message']).toBeNull();
  });

  it('writes dates in RFC 2822', async () => {
    const relay = start();
    const resource = await resourceOf(await createMessage(relay, params));

    expect(resource['date_created']).toMatch(RFC_2822);
    expect(resource['date_updated']).toMatch(RFC_2822);
    expect(resource['date_sent']).toMatch(RFC_2822);
  });

  it('links the resource under the account', async () => {
    const relay = start();
    const resource = await resourceOf(await createMessage(relay, params));
    const sid = String(resource['sid']);

    expect(resource['uri']).toBe(messageUri(sid));
    expect(resource['subresource_uris']).toEqual({
      media: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}/Media.json`,
    });
  });

  it('maps the SID to the stored message id', async () => {
    const relay = start();
    const resource = await resourceOf(await createMessage(relay, params));
    const id = messageIdOf(String(resource['sid'])) ?? '';
    const stored = await relay.gateway.store.getMessage('alerting', id);

    expect(stored?.status).toBe('sent');
    expect(stored?.principal).toBe('alerting');
    expect(stored?.to).toBe(RECIPIENT);
  });

  it('normalizes the recipient to E.164', async () => {
    const relay = start();
    const resource = await resourceOf(
      await createMessage(relay, { ...params, To: '+44 07700 900123' }),
    );
    expect(resource['to']).toBe('+447700900123');
  });

  it('counts UCS-2 segments', async () => {
    const relay = start();
    const resource = await resourceOf(
      await createMessage(relay, { ...params, Body: `${'a'.repeat(70)}∞` }),
    );
    expect(resource['num_segments']).toBe('2');
  });

  it('accepts an alphanumeric sender ID', async () => {
    const relay = start();
    const resource = await resourceOf(await createMessage(relay, { ...params, From: 'SmsRelay' }));
    expect(resource['from']).toBe('SmsRelay');
  });

  it('accepts and ignores the ignored parameters', async () => {
    const relay = start();
    const response = await createMessage(relay, {
      ...params,
      Attempt: '2',
      ProvideFeedback: 'true',
      SmartEncoded: 'true',
      ShortenUrls: 'false',
      RiskCheck: 'enable',
      ContentRetention: 'retain',
      AddressRetention: 'retain',
    });
    const resource = await resourceOf(response);

    expect(response.status).toBe(201);
    expect(resource['body']).toBe(BODY);
  });

  it('logs the API key name as principal', async () => {
    const relay = start();
    const response = await createMessage(relay, params);
    const requestId = response.headers.get('X-Request-Id');
    const line = relay
      .logLines()
      .find((entry) => entry['msg'] === 'request' && entry['request_id'] === requestId);

    expect(line?.['principal']).toBe('alerting');
    expect(line?.['outcome']).toBe('sent');
    expect(relay.logText()).not.toContain(API_KEY);
    expect(relay.logText()).not.toContain(BODY);
  });
});

describe('POST Messages.json, sender', () => {
  it('sends from the default sender with MessagingServiceSid alone', async () => {
    const relay = start();
    const response = await createMessage(relay, {
      To: RECIPIENT,
      Body: BODY,
      MessagingServiceSid: `MG${'c3'.repeat(16)}`,
    });
    const resource = await resourceOf(response);
    const id = messageIdOf(String(resource['sid'])) ?? '';

    expect(response.status).toBe(201);
    expect(resource['from']).toBeNull();
    expect(resource['messaging_service_sid']).toBeNull();
    expect((await relay.gateway.store.getMessage('alerting', id))?.from).toBeNull();
  });

  it('prefers From over MessagingServiceSid', async () => {
    const relay = start();
    const resource = await resourceOf(
      await createMessage(relay, { ...params, MessagingServiceSid: `MG${'c3'.repeat(16)}` }),
    );
    expect(resource['from']).toBe(SENDER);
  });
});

describe('POST Messages.json, async', () => {
  it('answers 201 queued with Prefer: respond-async', async () => {
    const relay = start();
    const response = await createMessage(relay, params, { Prefer: 'respond-async' });
    const resource = await resourceOf(response);

    expect(response.status).toBe(201);
    expect(response.headers.get('Preference-Applied')).toBe('respond-async');
    expect(resource['status']).toBe('queued');
    expect(resource['date_sent']).toBeNull();
  });

  it('sets the expiry from ValidityPeriod', async () => {
    const relay = start();
    const before = Date.now();
    const resource = await resourceOf(
      await createMessage(relay, { ...params, ValidityPeriod: '600' }, { Prefer: 'respond-async' }),
    );
    const stored = await relay.gateway.store.getMessage(
      'alerting',
      messageIdOf(String(resource['sid'])) ?? '',
    );

    expect(stored?.expiresAt).toBeGreaterThanOrEqual(before + 600_000);
    expect(stored?.expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);
  });

  it('ignores ValidityPeriod on a sync message', async () => {
    const relay = start();
    const response = await createMessage(relay, { ...params, ValidityPeriod: '600' });
    expect(response.status).toBe(201);
    expect((await resourceOf(response))['status']).toBe('sent');
  });

  it('reports the sent state once the queue sent it', async () => {
    const relay = start(twilioApiToml({ extra: '[queue]\npoll_interval_ms = 10' }));
    await relay.gateway.queue.start(() => undefined);
    const created = await resourceOf(
      await createMessage(relay, params, { Prefer: 'respond-async' }),
    );

    await expect
      .poll(
        async () => (await resourceOf(await getTwilio(relay, String(created['uri']))))['status'],
      )
      .toBe('sent');
  });
});

describe('POST Messages.json, StatusCallback', () => {
  let receiver: FakeProvider | undefined;

  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('stores StatusCallback as the callback URL', async () => {
    receiver = await startFakeProvider(() => ({ status: 204 }));
    const relay = start();
    await relay.gateway.callbacks.start(() => undefined);
    const url = `${receiver.url}/sms-status?tenant=7`;
    const resource = await resourceOf(
      await createMessage(relay, { ...params, StatusCallback: url }),
    );
    const stored = await relay.gateway.store.getMessage(
      'alerting',
      messageIdOf(String(resource['sid'])) ?? '',
    );

    expect(stored?.callbackUrl).toBe(url);
    await expect.poll(() => receiver?.requests.length).toBe(1);
    expect(receiver.requests[0]?.path).toBe('/sms-status?tenant=7');
  });
});

describe('POST Messages.json, idempotency', () => {
  it('replays the first response to the same key', async () => {
    const relay = start();
    const headers = { 'Idempotency-Key': 'twilio-key-1' };
    const first = await resourceOf(await createMessage(relay, params, headers));
    const second = await createMessage(relay, params, headers);

    expect(second.status).toBe(201);
    expect(second.headers.get('Idempotent-Replayed')).toBe('true');
    expect((await resourceOf(second))['sid']).toBe(first['sid']);
    expect(relay.simulator('sim-a').sentCount).toBe(1);
  });

  it('treats the key of a /v1 request as another request', async () => {
    const relay = start();
    const headers = { 'Idempotency-Key': 'shared-key-1' };
    await relay.send({ to: RECIPIENT, from: SENDER, body: BODY }, headers);
    const response = await createMessage(relay, params, headers);
    const error = (await response.json()) as TwilioErrorBody;

    expect(response.status).toBe(422);
    expect(error.details.code).toBe('idempotency_key_mismatch');
    expect(relay.simulator('sim-a').sentCount).toBe(1);
  });
});

describe('Twilio API, possible duplicate', () => {
  const header = 'X-SMS-Relay-Possible-Duplicate';

  it('flags the created resource', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'ambiguous' });
    const response = await createMessage(relay, params);

    expect(response.status).toBe(201);
    expect(response.headers.get(header)).toBe('true');
    expect(relay.simulator('sim-b').sentCount).toBe(1);
  });

  it('flags the fetched resource', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'ambiguous' });
    const created = await resourceOf(await createMessage(relay, params));
    const response = await getTwilio(relay, messageUri(String(created['sid'])));

    expect(response.status).toBe(200);
    expect(response.headers.get(header)).toBe('true');
  });

  it('flags an idempotent replay', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'ambiguous' });
    const headers = { 'Idempotency-Key': 'twilio-dup-1' };
    await createMessage(relay, params, headers);
    const replay = await createMessage(relay, params, headers);

    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(replay.headers.get(header)).toBe('true');
  });

  it('omits the header otherwise', async () => {
    const relay = start();
    const created = await createMessage(relay, params);
    const fetched = await getTwilio(relay, messageUri(String((await resourceOf(created))['sid'])));

    expect(created.headers.get(header)).toBeNull();
    expect(fetched.headers.get(header)).toBeNull();
  });
});

describe('GET Messages/{Sid}.json', () => {
  it('returns the stored message', async () => {
    const relay = start();
    const created = await resourceOf(await createMessage(relay, params));
    const response = await getTwilio(relay, messageUri(String(created['sid'])));

    expect(response.status).toBe(200);
    expect(await resourceOf(response)).toEqual(created);
  });

  it('returns a failed message with its error code', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'rejected' });
    const failed = (await (await createMessage(relay, params)).json()) as TwilioErrorBody;
    const resource = await resourceOf(await getTwilio(relay, messageUri(failed.details.sid ?? '')));

    expect(resource['status']).toBe('failed');
    expect(resource['error_code']).toBe(21211);
    expect(resource['error_message']).toBe('Invalid recipient');
    expect(resource['date_sent']).toBeNull();
  });

  it('answers 20404 to a message of another API key', async () => {
    const relay = start();
    const created = await resourceOf(await createMessage(relay, params));
    const response = await relay.app.request(
      messageUri(String(created['sid']), SECOND_ACCOUNT_SID),
      { headers: { Authorization: basicAuth(SECOND_ACCOUNT_SID, SECOND_API_KEY) } },
    );
    const error = (await response.json()) as TwilioErrorBody;

    expect(response.status).toBe(404);
    expect(error.code).toBe(20404);
  });

  it('answers 20404 to a SID without .json', async () => {
    const relay = start();
    const created = await resourceOf(await createMessage(relay, params));
    const response = await getTwilio(
      relay,
      `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${String(created['sid'])}`,
    );
    expect(response.status).toBe(404);
    expect(((await response.json()) as TwilioErrorBody).code).toBe(20404);
  });
});

describe('Twilio-compatible API, credentials', () => {
  it('rejects an API key without account_sid', async () => {
    const relay = start(gatewayToml());
    const response = await createMessage(relay, params, {
      Authorization: basicAuth(ACCOUNT_SID, API_KEY),
    });
    expect(response.status).toBe(401);
  });

  it('rejects the key of another account', async () => {
    const relay = start();
    const response = await createMessage(relay, params, {
      Authorization: basicAuth(ACCOUNT_SID, SECOND_API_KEY),
    });
    expect(response.status).toBe(401);
    expect(relay.simulator('sim-a').sentCount).toBe(0);
  });

  it('rejects a bearer key', async () => {
    const relay = start();
    const response = await createMessage(relay, params, { Authorization: `Bearer ${API_KEY}` });
    const error = (await response.json()) as TwilioErrorBody;

    expect(response.status).toBe(401);
    expect(error.message).toContain('HTTP Basic');
    expect(response.headers.get('WWW-Authenticate')).toMatch(/^Basic realm=/);
  });

  it('accepts the second key with its own Account SID', async () => {
    const relay = start();
    const response = await relay.app.request(
      `/2010-04-01/Accounts/${SECOND_ACCOUNT_SID}/Messages.json`,
      {
        method: 'POST',
        headers: {
          Authorization: basicAuth(SECOND_ACCOUNT_SID, SECOND_API_KEY),
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams(params).toString(),
      },
    );
    const resource = await resourceOf(response);

    expect(response.status).toBe(201);
    expect(resource['account_sid']).toBe(SECOND_ACCOUNT_SID);
  });

  it('does not log the key', async () => {
    const relay = start();
    await createMessage(relay, params, { Authorization: basicAuth(ACCOUNT_SID, 'wrong-key-0001') });
    await createMessage(relay, params);
    expect(relay.logText()).not.toContain(API_KEY);
    expect(relay.logText()).not.toContain('wrong-key-0001');
  });
});
