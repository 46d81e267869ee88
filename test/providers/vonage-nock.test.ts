import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { SendRequest } from '../../providers/contract.js';
import { vonageDefinition } from '../../providers/vonage/index.js';
import { vonageAccount, vonageAuthorization, vonageSmsPath } from '../helpers/provider-wire.js';
import { providerErrorOf } from './fake-server.js';

const VONAGE_ORIGIN = 'https://rest.nexmo.com';
const message: SendRequest = {
  to: '+447700900123',
  body: 'Disk full on db-7',
  encoding: 'GSM-7',
  attempt: 1,
};

// The adapter as the config schema builds it when base_url is left at its default.
const provider = vonageDefinition.create(
  'vonage-main',
  {
    api_key: vonageAccount.apiKey,
    api_secret: vonageAccount.apiSecret,
    from: vonageAccount.from,
    base_url: VONAGE_ORIGIN,
    signature_method: 'md5hash',
    signature_max_age_ms: 300_000,
  },
  { now: () => Date.parse('2030-01-01T00:00:00Z'), random: () => 0.5 },
);

const unmatched: string[] = [];
const recordUnmatched = (request: { method?: string; path?: string }): void => {
  unmatched.push(`${request.method ?? ''} ${request.path ?? ''}`);
};

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
  nock.emitter.on('no match', recordUnmatched);
});

afterEach(() => {
  nock.cleanAll();
  unmatched.length = 0;
});

afterAll(() => {
  nock.emitter.off('no match', recordUnmatched);
  nock.enableNetConnect();
  nock.restore();
});

/** Intercepts one send call and records the JSON body it carried. */
function interceptSend(
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): { readonly bodies: Record<string, unknown>[] } {
  const bodies: Record<string, unknown>[] = [];
  nock(VONAGE_ORIGIN, { reqheaders: { authorization: vonageAuthorization } })
    .post(vonageSmsPath, (json: Record<string, unknown>) => {
      bodies.push(json);
      return true;
    })
    .reply(status, body, { 'Content-Type': 'application/json', ...headers });
  return { bodies };
}

/** Returns an HTTP 200 body whose one part has `status`, with strings as the SMS API sends them. */
function part(status: string, errorText?: string): Record<string, unknown> {
  const entry =
    status === '0'
      ? { to: '447700900123', 'message-id': '0C000000217B7F02', status }
      : { status, 'error-text': errorText ?? 'failed' };
  return { 'message-count': '1', messages: [entry] };
}

async function sendFailure() {
  return providerErrorOf(provider.send(message, new AbortController().signal));
}

describe('vonage adapter against rest.nexmo.com', () => {
  it('returns the message-id of an accepted message', async () => {
    interceptSend(200, part('0'));
    const result = await provider.send(message, new AbortController().signal);

    expect(result.providerMessageId).toBe('0C000000217B7F02');
    expect(result.segments).toBe(1);
    expect(nock.isDone()).toBe(true);
  });

  it('sends to without the plus', async () => {
    const { bodies } = interceptSend(200, part('0'));
    await provider.send(message, new AbortController().signal);
    const [sent] = bodies;

    expect(bodies).toHaveLength(1);
    expect(sent?.['to']).toBe('447700900123');
    expect(sent?.['from']).toBe(vonageAccount.from);
    expect(sent?.['text']).toBe(message.body);
    expect(sent?.['type']).toBe('text');
  });

  it('classifies HTTP 503 as transient', async () => {
    interceptSend(503, { title: 'Service Unavailable' });
    const error = await sendFailure();

    expect(error.errorClass).toBe('transient');
    expect(error.httpStatus).toBe(503);
  });

  it('classifies HTTP 429 as throttled with its Retry-After', async () => {
    interceptSend(429, { title: 'Too Many Requests' }, { 'Retry-After': '2' });
    const error = await sendFailure();

    expect(error.errorClass).toBe('throttled');
    expect(error.retryAfterMs).toBe(2000);
  });

  it('classifies HTTP 401 as a provider config fault', async () => {
    interceptSend(401, { title: 'Unauthorized' });
    const error = await sendFailure();

    expect(error.errorClass).toBe('provider');
    expect(error.configFault).toBe(true);
  });

  it('classifies HTTP 500 as ambiguous', async () => {
    interceptSend(500, { title: 'Internal Server Error' });
    const error = await sendFailure();

    expect(error.errorClass).toBe('ambiguous');
    expect(error.httpStatus).toBe(500);
  });
});

describe('vonage adapter, HTTP 200 failures from rest.nexmo.com', () => {
  it('treats status 1 as throttled and reads its wait', async () => {
    interceptSend(200, part('1', 'Throughput Rate Exceeded - please wait [ 950 ] and retry'));
    const error = await sendFailure();

    expect(error.errorClass).toBe('throttled');
    expect(error.retryAfterMs).toBe(950);
    expect(error.httpStatus).toBe(200);
    expect(error.providerCode).toBe('1');
  });

  it('rejects the recipient on status 3 naming to', async () => {
    interceptSend(200, part('3', 'Invalid to address'));
    const error = await sendFailure();

    expect(error.errorClass).toBe('rejected');
    expect(error.rejection).toBe('invalid_recipient');
    expect(error.providerCode).toBe('3');
  });

  it('treats status 4 as a provider config fault', async () => {
    interceptSend(200, part('4', 'Bad Credentials'));
    const error = await sendFailure();

    expect(error.errorClass).toBe('provider');
    expect(error.configFault).toBe(true);
    expect(error.providerCode).toBe('4');
  });

  it('treats status 5 as transient', async () => {
    interceptSend(200, part('5', 'Internal Error'));
    const error = await sendFailure();

    expect(error.errorClass).toBe('transient');
    expect(error.providerCode).toBe('5');
  });

  it('sends a failed part once', async () => {
    interceptSend(200, part('1', 'Throughput Rate Exceeded'));
    // A second interceptor catches a retry that the SDK might make on its own.
    const retry = interceptSend(200, part('0'));
    await sendFailure();

    expect(retry.bodies).toHaveLength(0);
    expect(unmatched).toEqual([]);
  });
});
