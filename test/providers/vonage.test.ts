import { afterEach, describe, expect, it } from 'vitest';

import {
  type ErrorClass,
  type ProviderError,
  type RejectionCode,
  type SendRequest,
} from '../../providers/contract.js';
import { vonageClassification } from '../../providers/vonage/classification.js';
import { vonageDefinition, type VonageSettings } from '../../providers/vonage/index.js';
import {
  closedPortUrl,
  loggableText,
  providerErrorOf,
  startFakeServer,
  type FakeReply,
  type FakeServer,
  type RecordedRequest,
} from './fake-server.js';

const apiKey = 'fakekey01';
const apiSecret = 'fake-vonage-secret-0001';
const now = Date.parse('2030-01-01T00:00:00Z');
const message: SendRequest = {
  to: '+447700900123',
  body: 'Disk full on db-7, code 424242',
  encoding: 'GSM-7',
  attempt: 1,
  reference: 'ref-7',
};

function accepted(...ids: string[]): FakeReply {
  return {
    status: 200,
    body: {
      'message-count': String(ids.length),
      messages: ids.map((id) => ({
        to: '447700900123',
        'message-id': id,
        status: '0',
        'remaining-balance': '15.53590000',
        'message-price': '0.03330000',
        network: '23410',
        'client-ref': 'ref-7',
      })),
    },
  };
}

/** An HTTP 200 response with one part per status, the way the SMS API reports a failure. */
function statuses(...parts: Array<[status: string, errorText?: string]>): FakeReply {
  return {
    status: 200,
    body: {
      'message-count': String(parts.length),
      messages: parts.map(([status, errorText]) =>
        status === '0'
          ? { to: '447700900123', 'message-id': '0C00000000000001', status }
          : { status, 'error-text': errorText ?? 'failed' },
      ),
    },
  };
}

let server: FakeServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function providerAnswering(
  reply: (request: RecordedRequest) => FakeReply,
  settings: Partial<VonageSettings> = {},
) {
  server = await startFakeServer(reply);
  return vonageDefinition.create(
    'vonage-eu',
    {
      api_key: apiKey,
      api_secret: apiSecret,
      from: 'SMSRelay',
      base_url: server.url,
      signature_method: 'md5hash',
      signature_max_age_ms: 300_000,
      ...settings,
    },
    { now: () => now, random: () => 0.5 },
  );
}

async function sendFailure(reply: (request: RecordedRequest) => FakeReply): Promise<ProviderError> {
  const provider = await providerAnswering(reply);
  return providerErrorOf(provider.send(message, new AbortController().signal));
}

function sentJson(): Record<string, unknown> {
  return JSON.parse(server?.requests[0]?.body ?? '{}') as Record<string, unknown>;
}

describe('vonage adapter, accepted messages', () => {
  it('posts JSON with basic auth to /sms/json', async () => {
    const provider = await providerAnswering(() => accepted('0C000000217B7F02'));
    await provider.send(message, new AbortController().signal);
    const [request] = server?.requests ?? [];
    const credentials = Buffer.from(`${apiKey}:${apiSecret}`).toString('base64');

    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/sms/json');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['authorization']).toBe(`Basic ${credentials}`);
  });

  it('sends to without the plus, type and client-ref', async () => {
    const provider = await providerAnswering(() => accepted('0C000000217B7F02'));
    await provider.send(message, new AbortController().signal);

    expect(sentJson()).toEqual({
      to: '447700900123',
      from: 'SMSRelay',
      text: message.body,
      type: 'text',
      'client-ref': 'ref-7',
    });
  });

  it('sends UCS-2 text as unicode', async () => {
    const provider = await providerAnswering(() => accepted('0C000000217B7F02'));
    await provider.send({ ...message, encoding: 'UCS-2' }, new AbortController().signal);

    expect(sentJson()['type']).toBe('unicode');
  });

  it('strips the plus from a numeric sender', async () => {
    const provider = await providerAnswering(() => accepted('0C000000217B7F02'));
    await provider.send({ ...message, from: '+447700900999' }, new AbortController().signal);

    expect(sentJson()['from']).toBe('447700900999');
  });

  it('returns the first message-id and the part count', async () => {
    const provider = await providerAnswering(() =>
      accepted('0C00000000000001', '0C00000000000002'),
    );
    const result = await provider.send(message, new AbortController().signal);

    expect(result.providerMessageId).toBe('0C00000000000001');
    expect(result.segments).toBe(2);
  });
});

interface Expected {
  readonly errorClass: ErrorClass;
  readonly configFault?: boolean;
  readonly rejection?: RejectionCode;
}

// The expected class of every table row, written out independently of the table.
const perMessage: ReadonlyArray<[string, string, Expected]> = [
  ['1', 'Throughput Rate Exceeded - please wait [ 950 ] and retry', { errorClass: 'throttled' }],
  ['2', 'Missing to param', { errorClass: 'rejected', rejection: 'invalid_request' }],
  ['3', 'Invalid to address', { errorClass: 'rejected', rejection: 'invalid_recipient' }],
  ['3', 'Invalid from param', { errorClass: 'provider', configFault: true }],
  ['3', 'Invalid callback url', { errorClass: 'provider', configFault: true }],
  [
    '3',
    'Invalid ttl, it has to be positive',
    { errorClass: 'rejected', rejection: 'invalid_request' },
  ],
  ['4', 'Bad Credentials', { errorClass: 'provider', configFault: true }],
  ['5', 'Internal Error', { errorClass: 'transient' }],
  ['6', 'Invalid Message', { errorClass: 'rejected', rejection: 'invalid_recipient' }],
  ['7', 'Number barred', { errorClass: 'rejected', rejection: 'recipient_unreachable' }],
  ['8', 'Partner account barred', { errorClass: 'provider', configFault: true }],
  ['9', 'Partner quota exceeded', { errorClass: 'provider', configFault: true }],
  ['10', 'Too many existing binds', { errorClass: 'throttled' }],
  ['11', 'Account not enabled for HTTP', { errorClass: 'provider', configFault: true }],
  ['12', 'Message too long', { errorClass: 'rejected', rejection: 'content_rejected' }],
  ['14', 'Invalid signature', { errorClass: 'provider', configFault: true }],
  ['15', 'Illegal Sender Address - rejected', { errorClass: 'provider', configFault: true }],
  ['22', 'Invalid network code', { errorClass: 'provider', configFault: true }],
  ['23', 'Invalid callback url', { errorClass: 'provider', configFault: true }],
  ['29', 'Non White-listed Destination', { errorClass: 'provider', configFault: true }],
  ['32', 'Signature and API secret disallowed', { errorClass: 'provider', configFault: true }],
  ['33', 'Number de-activated', { errorClass: 'rejected', rejection: 'recipient_unreachable' }],
];

const httpLayer: ReadonlyArray<[number, Expected]> = [
  [401, { errorClass: 'provider', configFault: true }],
  [403, { errorClass: 'provider', configFault: true }],
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

describe('vonage adapter, classification', () => {
  it.each(perMessage)('classifies status %s "%s"', async (status, errorText, expected) => {
    const error = await sendFailure(() => statuses([status, errorText]));

    expect(error.errorClass).toBe(expected.errorClass);
    expect(error.configFault).toBe(expected.configFault ?? false);
    expect(error.rejection).toBe(expected.rejection);
    expect(error.httpStatus).toBe(200);
    expect(error.providerCode).toBe(status);
    expect(error.unclassified).toBe(false);
  });

  it.each(httpLayer)('classifies HTTP %i', async (status, expected) => {
    const error = await sendFailure(() => ({ status, body: { title: 'error' } }));

    expect(error.errorClass).toBe(expected.errorClass);
    expect(error.configFault).toBe(expected.configFault ?? false);
    expect(error.httpStatus).toBe(status);
    expect(error.unclassified).toBe(false);
  });

  it('has a test case for every table row', () => {
    const tested = new Set([
      ...perMessage.map(([status]) => `200/${status}`),
      ...httpLayer.map(([status]) => `${status}/`),
    ]);
    const rows = vonageClassification.map((row) => `${row.httpStatus}/${row.providerCode ?? ''}`);

    expect(rows.filter((row) => !tested.has(row))).toEqual([]);
  });

  it('rejects an unknown status as unclassified', async () => {
    const error = await sendFailure(() => statuses(['99', 'Something new']));

    expect(error.errorClass).toBe('rejected');
    expect(error.unclassified).toBe(true);
  });

  it('treats HTTP 200 without a message-id as ambiguous', async () => {
    const error = await sendFailure(() => ({ status: 200, body: { 'message-count': '0' } }));

    expect(error.errorClass).toBe('ambiguous');
  });
});

describe('vonage adapter, throttling', () => {
  it('reads the wait from the status 1 error-text', async () => {
    const error = await sendFailure(() =>
      statuses(['1', 'Throughput Rate Exceeded - please wait [ 950 ] and retry']),
    );

    expect(error.retryAfterMs).toBe(950);
  });

  it('waits 1000 ms on status 1 without a wait', async () => {
    const error = await sendFailure(() => statuses(['1', 'Throughput Rate Exceeded']));

    expect(error.retryAfterMs).toBe(1000);
  });

  it('reads Retry-After from an HTTP 429', async () => {
    const error = await sendFailure(() => ({
      status: 429,
      body: { title: 'Too Many Requests' },
      headers: { 'Retry-After': '2' },
    }));

    expect(error.retryAfterMs).toBe(2000);
  });

  it('sends one HTTP request on status 1', async () => {
    await sendFailure(() => statuses(['1', 'Throughput Rate Exceeded']));

    expect(server?.requests).toHaveLength(1);
  });

  it('sends one HTTP request on HTTP 429', async () => {
    await sendFailure(() => ({ status: 429, body: {} }));

    expect(server?.requests).toHaveLength(1);
  });
});

describe('vonage adapter, multi-part texts', () => {
  it('treats a partly sent text as ambiguous', async () => {
    const error = await sendFailure(() => statuses(['0'], ['1', 'Throughput Rate Exceeded']));

    expect(error.errorClass).toBe('ambiguous');
    expect(error.message).toMatch(/1 of 2 parts were accepted/);
  });

  it('keeps a rejection of a partly sent text', async () => {
    const error = await sendFailure(() => statuses(['0'], ['12', 'Message too long']));

    expect(error.errorClass).toBe('rejected');
    expect(error.rejection).toBe('content_rejected');
  });

  it('lets the most severe failed part decide', async () => {
    const error = await sendFailure(() =>
      statuses(['5', 'Internal Error'], ['4', 'Bad Credentials']),
    );

    expect(error.errorClass).toBe('provider');
    expect(error.configFault).toBe(true);
  });
});

describe('vonage adapter, transport', () => {
  it('treats a refused connection as transient', async () => {
    const provider = vonageDefinition.create(
      'vonage-eu',
      {
        api_key: apiKey,
        api_secret: apiSecret,
        from: 'SMSRelay',
        base_url: await closedPortUrl(),
        signature_method: 'md5hash',
        signature_max_age_ms: 300_000,
      },
      { now: () => now, random: () => 0.5 },
    );
    const error = await providerErrorOf(provider.send(message, new AbortController().signal));

    expect(error.errorClass).toBe('transient');
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('rejects as ambiguous at once when the signal aborts', async () => {
    const provider = await providerAnswering(() => 'hang');
    const controller = new AbortController();
    const sending = providerErrorOf(
      provider.send(message, controller.signal, { timeoutMs: 60_000 }),
    );
    await server?.requestReceived;
    controller.abort(new Error('shutdown'));
    const error = await sending;

    expect(error.errorClass).toBe('ambiguous');
  });

  it('closes the socket when the SDK timeout fires', async () => {
    const provider = await providerAnswering(() => 'hang');
    const signal = new AbortController().signal;
    const error = await providerErrorOf(provider.send(message, signal, { timeoutMs: 50 }));

    expect(error.errorClass).toBe('ambiguous');
    await expect(server?.hungSocketClosed).resolves.toBeUndefined();
  });

  it('sends nothing when the signal already aborted', async () => {
    const provider = await providerAnswering(() => accepted('0C000000217B7F02'));
    const error = await providerErrorOf(provider.send(message, AbortSignal.abort()));

    expect(error.errorClass).toBe('transient');
    expect(server?.requests).toHaveLength(0);
  });
});

describe('vonage adapter, error messages', () => {
  const failures: ReadonlyArray<[string, () => FakeReply]> = [
    ['HTTP 401', () => ({ status: 401, body: { title: 'Unauthorized' } })],
    ['status 3 naming to', () => statuses(['3', `Invalid to address ${message.to}`])],
    ['status 4', () => statuses(['4', 'Bad Credentials'])],
    ['an unknown status', () => statuses(['99', `Number 447700900123 unknown`])],
  ];

  it.each(failures)('leave out secrets, number and body on %s', async (_name, reply) => {
    const text = loggableText(await sendFailure(reply));

    expect(text).not.toContain(apiSecret);
    expect(text).not.toContain(Buffer.from(`${apiKey}:${apiSecret}`).toString('base64'));
    expect(text).not.toContain('7700900123');
    expect(text).not.toContain('424242');
  });

  it('names the status and meaning', async () => {
    const error = await sendFailure(() => statuses(['3', 'Invalid to address']));

    expect(error.message).toBe('Vonage status 3: invalid to parameter');
  });
});
