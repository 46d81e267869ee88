import { afterEach, describe, expect, it } from 'vitest';

import {
  type ErrorClass,
  type ProviderError,
  type RejectionCode,
  type SendRequest,
} from '../../providers/contract.js';
import { twilioClassification } from '../../providers/twilio/classification.js';
import { twilioDefinition, type TwilioSettings } from '../../providers/twilio/index.js';
import {
  closedPortUrl,
  loggableText,
  providerErrorOf,
  startFakeServer,
  type FakeReply,
  type FakeServer,
  type RecordedRequest,
} from './fake-server.js';

const accountSid = `AC${'0'.repeat(32)}`;
const authToken = 'fake-twilio-auth-token-0001';
const messagesPath = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
const now = Date.parse('2030-01-01T00:00:00Z');
const message: SendRequest = {
  to: '+15005550009',
  body: 'Disk full on db-7, code 424242',
  encoding: 'GSM-7',
  attempt: 2,
};

const created = {
  status: 201,
  body: {
    sid: `SM${'1'.repeat(32)}`,
    account_sid: accountSid,
    to: message.to,
    from: '+15005550006',
    body: message.body,
    status: 'queued',
    num_segments: '2',
    api_version: '2010-04-01',
  },
} as const;

let server: FakeServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function providerAnswering(
  reply: (request: RecordedRequest) => FakeReply,
  settings: Partial<TwilioSettings> = {},
) {
  server = await startFakeServer(reply);
  return twilioDefinition.create(
    'twilio-main',
    {
      account_sid: accountSid,
      auth_token: authToken,
      from: '+15005550006',
      base_url: server.url,
      ...settings,
    },
    { now: () => now, random: () => 0.5 },
  );
}

async function sendFailure(reply: (request: RecordedRequest) => FakeReply): Promise<ProviderError> {
  const provider = await providerAnswering(reply);
  return providerErrorOf(provider.send(message, new AbortController().signal));
}

function twilioError(status: number, code: number): FakeReply {
  return {
    status,
    body: {
      code,
      // Twilio quotes the To number in its messages; the adapter must not pass it on.
      message: `The 'To' number ${message.to} is not valid.`,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    },
  };
}

describe('twilio adapter, accepted messages', () => {
  it('posts a form with basic auth to Messages.json', async () => {
    const provider = await providerAnswering(() => created);
    await provider.send(message, new AbortController().signal);
    const [request] = server?.requests ?? [];
    const credentials = Buffer.from(`${accountSid}:${authToken}`).toString('base64');

    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(messagesPath);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request?.headers['authorization']).toBe(`Basic ${credentials}`);
  });

  it('sends To, From, Body and Attempt and nothing else', async () => {
    const provider = await providerAnswering(() => created);
    await provider.send(message, new AbortController().signal);
    const form = new URLSearchParams(server?.requests[0]?.body);

    expect(form.get('To')).toBe('+15005550009');
    expect(form.get('From')).toBe('+15005550006');
    expect(form.get('Body')).toBe(message.body);
    expect(form.get('Attempt')).toBe('2');
    expect([...form.keys()].sort()).toEqual(['Attempt', 'Body', 'From', 'To']);
  });

  it('returns the sid and the segment count', async () => {
    const provider = await providerAnswering(() => created);
    const result = await provider.send(message, new AbortController().signal);

    expect(result.providerMessageId).toBe(created.body.sid);
    expect(result.segments).toBe(2);
  });

  it('reports no segment count while num_segments is "0"', async () => {
    const pending = { ...created, body: { ...created.body, num_segments: '0' } };
    const provider = await providerAnswering(() => pending);
    const result = await provider.send(message, new AbortController().signal);

    expect(result.segments).toBeUndefined();
  });

  it('prefers the request sender to the configured one', async () => {
    const provider = await providerAnswering(() => created);
    await provider.send({ ...message, from: 'AlertOps' }, new AbortController().signal);
    const form = new URLSearchParams(server?.requests[0]?.body);

    expect(form.get('From')).toBe('AlertOps');
  });

  it('falls back to the Messaging Service without a sender', async () => {
    const serviceSid = `MG${'2'.repeat(32)}`;
    const provider = await providerAnswering(() => created, {
      from: undefined,
      messaging_service_sid: serviceSid,
    });
    await provider.send(message, new AbortController().signal);
    const form = new URLSearchParams(server?.requests[0]?.body);

    expect(form.get('MessagingServiceSid')).toBe(serviceSid);
    expect(form.has('From')).toBe(false);
  });

  it('keeps the path of base_url', async () => {
    server = await startFakeServer(() => created);
    const provider = twilioDefinition.create(
      'twilio-proxied',
      {
        account_sid: accountSid,
        auth_token: authToken,
        from: '+15005550006',
        base_url: `${server.url}/twilio/`,
      },
      { now: () => now, random: () => 0.5 },
    );
    await provider.send(message, new AbortController().signal);

    expect(server.requests[0]?.path).toBe(`/twilio${messagesPath}`);
  });

  it('refuses a config without any sender', () => {
    const create = () =>
      twilioDefinition.create(
        'twilio-main',
        { account_sid: accountSid, auth_token: authToken, base_url: 'http://127.0.0.1:9' },
        { now: () => now, random: () => 0.5 },
      );

    expect(create).toThrow(/from or messaging_service_sid/);
  });
});

interface Expected {
  readonly errorClass: ErrorClass;
  readonly configFault?: boolean;
  readonly rejection?: RejectionCode;
}

// The expected class of every table row, written out independently of the table.
const coded: ReadonlyArray<[number, number, Expected]> = [
  [401, 20003, { errorClass: 'provider', configFault: true }],
  [404, 20404, { errorClass: 'provider', configFault: true }],
  [429, 20429, { errorClass: 'throttled' }],
  [500, 20500, { errorClass: 'ambiguous' }],
  [503, 20503, { errorClass: 'transient' }],
  [400, 21211, { errorClass: 'rejected', rejection: 'invalid_recipient' }],
  [400, 21265, { errorClass: 'rejected', rejection: 'invalid_recipient' }],
  [400, 21266, { errorClass: 'rejected', rejection: 'invalid_request' }],
  [400, 21268, { errorClass: 'rejected', rejection: 'invalid_recipient' }],
  [400, 21602, { errorClass: 'rejected', rejection: 'invalid_request' }],
  [400, 21603, { errorClass: 'rejected', rejection: 'invalid_request' }],
  [400, 21604, { errorClass: 'rejected', rejection: 'invalid_request' }],
  [400, 21610, { errorClass: 'rejected', rejection: 'recipient_opted_out' }],
  [400, 21614, { errorClass: 'rejected', rejection: 'recipient_unreachable' }],
  [400, 21635, { errorClass: 'rejected', rejection: 'recipient_unreachable' }],
  [400, 21617, { errorClass: 'rejected', rejection: 'content_rejected' }],
  [400, 21658, { errorClass: 'rejected', rejection: 'content_rejected' }],
  [400, 21212, { errorClass: 'provider', configFault: true }],
  [400, 21408, { errorClass: 'provider', configFault: true }],
  [400, 21601, { errorClass: 'provider', configFault: true }],
  [400, 21606, { errorClass: 'provider', configFault: true }],
  [400, 21608, { errorClass: 'provider', configFault: true }],
  [400, 21659, { errorClass: 'provider', configFault: true }],
  [400, 21660, { errorClass: 'provider', configFault: true }],
  [400, 21611, { errorClass: 'provider', configFault: false }],
  [400, 21612, { errorClass: 'provider', configFault: false }],
];

const statusOnly: ReadonlyArray<[number, Expected]> = [
  [404, { errorClass: 'provider', configFault: true }],
  [405, { errorClass: 'provider', configFault: true }],
  [407, { errorClass: 'provider', configFault: true }],
  [408, { errorClass: 'transient' }],
  [429, { errorClass: 'throttled' }],
  [500, { errorClass: 'ambiguous' }],
  [502, { errorClass: 'transient' }],
  [503, { errorClass: 'transient' }],
  [504, { errorClass: 'ambiguous' }],
];

describe('twilio adapter, classification', () => {
  it.each(coded)('classifies HTTP %i with code %i', async (status, code, expected) => {
    const error = await sendFailure(() => twilioError(status, code));

    expect(error.errorClass).toBe(expected.errorClass);
    expect(error.configFault).toBe(expected.configFault ?? false);
    expect(error.rejection).toBe(expected.rejection);
    expect(error.httpStatus).toBe(status);
    expect(error.providerCode).toBe(String(code));
    expect(error.unclassified).toBe(false);
  });

  it.each(statusOnly)('classifies HTTP %i without a code', async (status, expected) => {
    const error = await sendFailure(() => ({ status, body: 'upstream trouble' }));

    expect(error.errorClass).toBe(expected.errorClass);
    expect(error.providerCode).toBeUndefined();
    expect(error.unclassified).toBe(false);
  });

  it('has a test case for every table row', () => {
    const tested = new Set([
      ...coded.map(([status, code]) => `${status}/${code}`),
      ...statusOnly.map(([status]) => `${status}/`),
    ]);
    const rows = twilioClassification.map((row) => `${row.httpStatus}/${row.providerCode ?? ''}`);

    expect(rows.filter((row) => !tested.has(row))).toEqual([]);
  });

  it.each([
    [400, 21999, 'rejected', false],
    [401, 20999, 'provider', true],
    [403, 20999, 'provider', true],
    [507, 20999, 'transient', false],
  ] as const)('applies the default rule to HTTP %i code %i', async (status, code, cls, config) => {
    const error = await sendFailure(() => twilioError(status, code));

    expect(error.errorClass).toBe(cls);
    expect(error.configFault).toBe(config);
    expect(error.unclassified).toBe(true);
  });

  it('treats a redirect as a configuration fault', async () => {
    const error = await sendFailure(() => ({
      status: 302,
      body: '',
      headers: { Location: 'https://example.invalid/' },
    }));

    expect(error.errorClass).toBe('provider');
    expect(error.configFault).toBe(true);
  });

  it('treats a 201 with an unreadable body as ambiguous', async () => {
    const error = await sendFailure(() => ({ status: 201, body: '<html>' }));

    expect(error.errorClass).toBe('ambiguous');
  });
});

describe('twilio adapter, throttling', () => {
  it('reads Retry-After seconds from a 20429', async () => {
    const error = await sendFailure(() => ({
      ...(twilioError(429, 20429) as Exclude<FakeReply, 'hang'>),
      headers: { 'Retry-After': '2' },
    }));

    expect(error.errorClass).toBe('throttled');
    expect(error.retryAfterMs).toBe(2000);
  });

  it('leaves the wait open without Retry-After', async () => {
    const error = await sendFailure(() => twilioError(429, 20429));

    expect(error.retryAfterMs).toBeUndefined();
  });

  it('counts an HTTP-date against the Date header', async () => {
    const error = await sendFailure(() => ({
      status: 503,
      body: '',
      headers: {
        Date: 'Tue, 01 Jan 2030 00:00:00 GMT',
        'Retry-After': 'Tue, 01 Jan 2030 00:00:30 GMT',
      },
    }));

    expect(error.retryAfterMs).toBe(30_000);
  });

  it('sends one HTTP request for a 429', async () => {
    await sendFailure(() => twilioError(429, 20429));

    expect(server?.requests).toHaveLength(1);
  });
});

describe('twilio adapter, transport', () => {
  it('treats a refused connection as transient', async () => {
    const provider = twilioDefinition.create(
      'twilio-main',
      {
        account_sid: accountSid,
        auth_token: authToken,
        from: '+15005550006',
        base_url: await closedPortUrl(),
      },
      { now: () => now, random: () => 0.5 },
    );
    const error = await providerErrorOf(provider.send(message, new AbortController().signal));

    expect(error.errorClass).toBe('transient');
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('treats an abort after sending as ambiguous', async () => {
    const provider = await providerAnswering(() => 'hang');
    const controller = new AbortController();
    const sending = providerErrorOf(provider.send(message, controller.signal));
    await server?.requestReceived;
    controller.abort(new Error('per-attempt timeout'));
    const error = await sending;

    expect(error.errorClass).toBe('ambiguous');
    await expect(server?.hungSocketClosed).resolves.toBeUndefined();
  });

  it('sends nothing when the signal already aborted', async () => {
    const provider = await providerAnswering(() => created);
    const error = await providerErrorOf(provider.send(message, AbortSignal.abort()));

    expect(error.errorClass).toBe('transient');
    expect(server?.requests).toHaveLength(0);
  });
});

describe('twilio adapter, error messages', () => {
  const failures: ReadonlyArray<[string, () => FakeReply]> = [
    ['an invalid number', () => twilioError(400, 21211)],
    ['bad credentials', () => twilioError(401, 20003)],
    ['an unknown code', () => twilioError(400, 21999)],
    ['a throttle', () => twilioError(429, 20429)],
  ];

  it.each(failures)('leave out secrets, number and body on %s', async (_name, reply) => {
    const text = loggableText(await sendFailure(reply));

    expect(text).not.toContain(authToken);
    expect(text).not.toContain(Buffer.from(`${accountSid}:${authToken}`).toString('base64'));
    expect(text).not.toContain('5005550009');
    expect(text).not.toContain('424242');
  });

  it('names the status, code and meaning', async () => {
    const error = await sendFailure(() => twilioError(400, 21610));

    expect(error.message).toBe('Twilio HTTP 400, code 21610: recipient opted out');
  });
});
