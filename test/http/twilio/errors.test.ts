import { afterEach, describe, expect, it, vi } from 'vitest';

import { GatewayError, problemCodes, type ProblemCode } from '../../../src/errors.js';
import {
  fieldErrorCode,
  problemTwilioErrors,
  twilioErrorOf,
} from '../../../src/http/twilio/errors.js';
import { createTestGateway, SECOND_API_KEY, type TestGateway } from '../../helpers/gateway.js';
import {
  ACCOUNT_SID,
  basicAuth,
  createMessage,
  getTwilio,
  messagesUri,
  SECOND_ACCOUNT_SID,
  SENDER,
  twilioApiToml,
  twilioHeaders,
  type TwilioErrorBody,
} from '../../helpers/twilio-api.js';

const RECIPIENT = '+14155550100';
const params = { To: RECIPIENT, From: SENDER, Body: 'db-1 down' };

/** The documented mapping: problem code, HTTP status, Twilio code. */
const problemRows: ReadonlyArray<readonly [ProblemCode, number, number]> = [
  ['invalid_request', 400, 400],
  ['unknown_route', 400, 400],
  ['unauthorized', 401, 20003],
  ['forbidden', 403, 20003],
  ['not_found', 404, 20404],
  ['invalid_signature', 403, 403],
  ['method_not_allowed', 405, 20004],
  ['payload_too_large', 413, 413],
  ['unsupported_media_type', 415, 415],
  ['invalid_recipient', 400, 21211],
  ['recipient_opted_out', 400, 21610],
  ['recipient_unreachable', 400, 21614],
  ['content_rejected', 400, 21617],
  ['message_rejected', 400, 400],
  ['not_a_simulator', 409, 409],
  ['idempotency_key_in_use', 409, 409],
  ['idempotency_key_mismatch', 422, 422],
  ['internal_error', 500, 20500],
  ['all_providers_failed', 502, 20500],
  ['outcome_unknown', 502, 20500],
  ['no_provider_available', 503, 20503],
  ['shutting_down', 503, 20503],
  ['deadline_exceeded', 504, 20500],
];

/** The documented mapping of field errors: parameter, field error code, Twilio code. */
const fieldRows: ReadonlyArray<readonly [string, string, number]> = [
  ['To', 'missing_field', 21604],
  ['To', 'invalid_phone_number', 21211],
  ['To', 'missing_country_code', 21211],
  ['From', 'missing_sender', 21603],
  ['From', 'invalid_sender', 21212],
  ['MessagingServiceSid', 'invalid_value', 21705],
  ['Body', 'missing_field', 21602],
  ['Body', 'body_empty', 21602],
  ['Body', 'body_too_long', 21617],
  ['StatusCallback', 'invalid_value', 21609],
  ['StatusCallback', 'too_long', 21609],
  ['ValidityPeriod', 'invalid_value', 21624],
  ['PageToken', 'invalid_cursor', 21481],
  ['PageSize', 'invalid_value', 400],
  ['MediaUrl', 'unsupported_parameter', 400],
  ['Foo', 'unknown_parameter', 400],
  ['To', 'repeated_parameter', 400],
];

describe('Twilio error mapping', () => {
  it('covers every problem code', () => {
    expect(problemRows.map(([code]) => code).sort()).toEqual(Object.keys(problemCodes).sort());
  });

  it.each(problemRows)('maps %s to HTTP %i, code %i', (problem, status, code) => {
    const error = new GatewayError(problem, { detail: 'test' });
    expect(twilioErrorOf(error)).toEqual({ status, code });
    expect(problemTwilioErrors[problem]).toEqual({ status, code });
  });

  it.each(fieldRows)('maps %s %s to code %i', (path, fieldCode, code) => {
    expect(fieldErrorCode({ path, code: fieldCode, message: 'test' })).toBe(code);
  });

  it('takes the code of the first field error', () => {
    const error = new GatewayError('invalid_request', {
      detail: 'test',
      errors: [
        { path: 'Body', code: 'missing_field', message: 'test' },
        { path: 'To', code: 'missing_field', message: 'test' },
      ],
    });
    expect(twilioErrorOf(error)).toEqual({ status: 400, code: 21602 });
  });
});

let current: TestGateway | undefined;

function start(toml = twilioApiToml()): TestGateway {
  current = createTestGateway(toml);
  return current;
}

afterEach(async () => {
  vi.useRealTimers();
  await current?.close();
  current = undefined;
});

async function errorOf(response: Response): Promise<TwilioErrorBody> {
  expect(response.headers.get('Content-Type')).toMatch(/^application\/json/);
  return (await response.json()) as TwilioErrorBody;
}

/** Checks the shape that every error response has, and returns its code and status. */
async function expectTwilioError(response: Response, status: number, code: number) {
  const error = await errorOf(response);
  expect(response.status).toBe(status);
  expect(error.status).toBe(status);
  expect(error.code).toBe(code);
  expect(error.message).toMatch(/\S/);
  expect(error.more_info).toMatch(/^https:\/\//);
  expect(error.details.request_id).toBe(response.headers.get('X-Request-Id'));
  return error;
}

describe('Twilio errors, authentication and paths', () => {
  it('answers 401 / 20003 without credentials', async () => {
    const relay = start();
    const response = await createMessage(relay, params, { Authorization: '' });
    const error = await expectTwilioError(response, 401, 20003);

    expect(error.more_info).toBe('https://www.twilio.com/docs/errors/20003');
    expect(error.details.code).toBe('unauthorized');
    expect(response.headers.get('WWW-Authenticate')).toMatch(/^Basic realm="/);
  });

  it('answers 403 / 20003 to another account in the path', async () => {
    const relay = start();
    const response = await relay.app.request(messagesUri(SECOND_ACCOUNT_SID), {
      method: 'POST',
      headers: { ...twilioHeaders, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
    const error = await expectTwilioError(response, 403, 20003);

    expect(error.message).toContain(ACCOUNT_SID);
    expect(relay.simulator('sim-a').sentCount).toBe(0);
  });

  it('answers 404 / 20404 to an unknown SID', async () => {
    const relay = start();
    const sid = `SM${'0'.repeat(32)}`;
    const response = await getTwilio(
      relay,
      `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}.json`,
    );
    await expectTwilioError(response, 404, 20404);
  });

  it('answers 404 / 20404 to an unknown path', async () => {
    const relay = start();
    const response = await getTwilio(relay, `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`);
    const error = await expectTwilioError(response, 404, 20404);
    expect(error.message).toContain('Messages.json');
  });

  it('answers 405 / 20004 to DELETE on a message', async () => {
    const relay = start();
    const sid = `SM${'0'.repeat(32)}`;
    const response = await relay.app.request(
      `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}.json`,
      { method: 'DELETE', headers: twilioHeaders },
    );
    const error = await expectTwilioError(response, 405, 20004);
    expect(response.headers.get('Allow')).toBe('GET, HEAD');
    expect(error.message).toContain(`/Messages/${sid}.json`);
    expect(error.message).not.toContain(':accountSid');
  });

  it('answers 404 / 20404 to a malformed Account SID', async () => {
    const relay = start();
    const response = await getTwilio(relay, '/2010-04-01/Accounts/ACzz/Messages.json');
    const error = await expectTwilioError(response, 404, 20404);

    expect(error.message).toContain('malformed');
    expect(error.message).toContain('32');
  });

  it('answers 413 / 413 to a body over 64 KiB', async () => {
    const relay = start();
    const response = await createMessage(relay, { ...params, Body: 'x'.repeat(70_000) });
    const error = await expectTwilioError(response, 413, 413);
    expect(error.more_info).toBe('https://sms-relay.dev/problems/payload_too_large');
  });

  it('answers 415 / 415 to JSON', async () => {
    const relay = start();
    const response = await createMessage(relay, params, { 'Content-Type': 'application/json' });
    const error = await expectTwilioError(response, 415, 415);
    expect(error.message).toContain('application/x-www-form-urlencoded');
  });
});

describe('Twilio errors, parameters', () => {
  const cases: ReadonlyArray<readonly [string, Record<string, string>, number, string]> = [
    ['missing To', { From: SENDER, Body: 'x' }, 21604, 'To'],
    ['empty To', { To: '', From: SENDER, Body: 'x' }, 21604, 'To'],
    ['To without country code', { ...params, To: '4155550100' }, 21211, 'To'],
    ['impossible To', { ...params, To: '+1415555' }, 21211, 'To'],
    ['no From or MessagingServiceSid', { To: RECIPIENT, Body: 'x' }, 21603, 'From'],
    ['invalid From', { ...params, From: 'Sender ID too long' }, 21212, 'From'],
    [
      'invalid MessagingServiceSid',
      { ...params, MessagingServiceSid: 'MG123' },
      21705,
      'MessagingServiceSid',
    ],
    ['missing Body', { To: RECIPIENT, From: SENDER }, 21602, 'Body'],
    ['blank Body', { ...params, Body: '   ' }, 21602, 'Body'],
    ['Body over 1600 characters', { ...params, Body: 'x'.repeat(1601) }, 21617, 'Body'],
    ['relative StatusCallback', { ...params, StatusCallback: '/status' }, 21609, 'StatusCallback'],
    [
      'ftp StatusCallback',
      { ...params, StatusCallback: 'ftp://127.0.0.1/x' },
      21609,
      'StatusCallback',
    ],
    [
      'StatusCallback with credentials',
      { ...params, StatusCallback: 'https://ops:hunter2@127.0.0.1/status' },
      21609,
      'StatusCallback',
    ],
    ['ValidityPeriod 0', { ...params, ValidityPeriod: '0' }, 21624, 'ValidityPeriod'],
    ['ValidityPeriod over 36000', { ...params, ValidityPeriod: '36001' }, 21624, 'ValidityPeriod'],
    ['MediaUrl', { ...params, MediaUrl: 'https://example.test/a.png' }, 400, 'MediaUrl'],
    ['SendAt', { ...params, SendAt: '2030-01-01T00:00:00Z' }, 400, 'SendAt'],
    [
      'ContentRetention discard',
      { ...params, ContentRetention: 'discard' },
      400,
      'ContentRetention',
    ],
    ['unknown parameter', { ...params, body: 'lowercase' }, 400, 'body'],
  ];

  it.each(cases)('answers 400 / %s', async (_name, form, code, path) => {
    const relay = start();
    const response = await createMessage(relay, form);
    const error = await expectTwilioError(response, 400, code);

    expect(error.details.code).toBe('invalid_request');
    expect(error.details.errors?.[0]?.path).toBe(path);
    expect(error.message).toContain(path);
    expect(relay.simulator('sim-a').sentCount).toBe(0);
  });

  it('answers 400 / 400 to a repeated To', async () => {
    const relay = start();
    const form = new URLSearchParams(params);
    form.append('To', '+14155550101');
    const error = await expectTwilioError(await createMessage(relay, form), 400, 400);
    expect(error.details.errors?.[0]).toMatchObject({ path: 'To', code: 'repeated_parameter' });
  });

  it('answers 400 / 21481 to an invalid PageToken', async () => {
    const relay = start();
    const response = await getTwilio(relay, `${messagesUri()}?PageToken=not-a-token`);
    await expectTwilioError(response, 400, 21481);
  });

  it.each([
    ['MediaUrl', { ...params, MediaUrl: 'https://example.test/a.png' }],
    ['missing To', { From: SENDER, Body: 'x' }],
    ['StatusCallback', { ...params, StatusCallback: '/status' }],
  ])('names the parameter once: %s', async (_name, form) => {
    const relay = start();
    const error = (await (await createMessage(relay, form)).json()) as TwilioErrorBody;

    expect(error.message).not.toMatch(/^(\w+):? \1\b/);
  });

  it('names a list filter once', async () => {
    const relay = start();
    const response = await getTwilio(relay, `${messagesUri()}?To=%2B14155550100`);
    const error = await expectTwilioError(response, 400, 400);

    expect(error.message).toMatch(/^To: the gateway does not filter/);
  });

  it('lists every problem in details', async () => {
    const relay = start();
    const response = await createMessage(relay, { To: '4155550100', From: SENDER, Body: ' ' });
    const error = await expectTwilioError(response, 400, 21211);
    expect(error.details.errors?.map((entry) => entry.path)).toEqual(['To', 'Body']);
  });
});

describe('Twilio errors, sending', () => {
  it('answers 400 / 21211 to a recipient a provider rejects', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'rejected' });
    const error = await expectTwilioError(await createMessage(relay, params), 400, 21211);

    expect(error.details.code).toBe('invalid_recipient');
    expect(error.details.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(relay.simulator('sim-b').sentCount).toBe(0);
  });

  it('answers 400 / 21610 to an opted-out recipient', async () => {
    const relay = start();
    await relay.gateway.store.recordOptOut({
      sender: SENDER,
      recipient: RECIPIENT,
      provider: 'sim-a',
      messageId: 'earlier-message',
      createdAt: Date.now(),
    });
    const error = await expectTwilioError(await createMessage(relay, params), 400, 21610);

    expect(error.details.code).toBe('recipient_opted_out');
    expect(relay.simulator('sim-a').sentCount).toBe(0);
  });

  it('answers 409 / 409 while the first request with a key runs', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ latency_ms: 200 });
    const headers = { 'Idempotency-Key': 'key-1' };
    const first = createMessage(relay, params, headers);
    await vi.waitFor(() => expect(relay.gateway.dispatcher.inFlight).toBe(1));

    const error = await expectTwilioError(await createMessage(relay, params, headers), 409, 409);
    const created = (await (await first).json()) as { sid: string };
    expect(error.details.code).toBe('idempotency_key_in_use');
    expect(error.details.sid).toBe(created.sid);
  });

  it('answers 422 / 422 to a key reused with other parameters', async () => {
    const relay = start();
    const headers = { 'Idempotency-Key': 'key-1' };
    await createMessage(relay, params, headers);
    const response = await createMessage(relay, { ...params, Body: 'db-2 down' }, headers);
    const error = await expectTwilioError(response, 422, 422);
    expect(error.details.code).toBe('idempotency_key_mismatch');
  });

  it('answers 502 / 20500 when every provider fails', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    relay.simulator('sim-b').simulate({ mode: 'transient' });
    const error = await expectTwilioError(await createMessage(relay, params), 502, 20500);

    expect(error.details.code).toBe('all_providers_failed');
    expect(error.details.escalated_to).toEqual(['error_log']);
    expect(error.details.sid).toMatch(/^SM[0-9a-f]{32}$/);
  });

  it('answers 502 / 20500 to an ambiguous attempt on a stopping route', async () => {
    const relay = start(
      twilioApiToml({ defaultRoute: 'providers = ["sim-a", "sim-b"]\non_ambiguous = "stop"' }),
    );
    relay.simulator('sim-a').simulate({ mode: 'ambiguous' });
    const error = await expectTwilioError(await createMessage(relay, params), 502, 20500);

    expect(error.details.code).toBe('outcome_unknown');
    expect(error.details.possible_duplicate).toBe(true);
    expect(relay.simulator('sim-b').sentCount).toBe(0);
  });

  it('answers 503 / 20503 when every provider is drained', async () => {
    const relay = start();
    relay.gateway.slots.get('sim-a')?.drain();
    relay.gateway.slots.get('sim-b')?.drain();
    const response = await createMessage(relay, params);
    const error = await expectTwilioError(response, 503, 20503);

    expect(error.details.code).toBe('no_provider_available');
    expect(response.headers.get('Retry-After')).toBe('1');
  });

  it('answers 503 / 20503 while shutting down', async () => {
    const relay = start();
    relay.startDraining();
    const error = await expectTwilioError(await createMessage(relay, params), 503, 20503);
    expect(error.details.code).toBe('shutting_down');
  });

  it('answers 500 / 20500 without internals when the store fails', async () => {
    const relay = start();
    await relay.gateway.store.close();
    const response = await createMessage(relay, params);
    const error = await expectTwilioError(response, 500, 20500);

    expect(error.details.code).toBe('internal_error');
    expect(error.message).toBe(
      'The gateway failed to handle the request; the error is in its log.',
    );
    expect(JSON.stringify(error)).not.toMatch(/database|\bat \S+ \(/i);
  });
});

describe('Twilio errors, credentials of the second key', () => {
  it('answers 403 to the first account with the second key', async () => {
    const relay = start();
    const response = await createMessage(relay, params, {
      Authorization: basicAuth(SECOND_ACCOUNT_SID, SECOND_API_KEY),
    });
    await expectTwilioError(response, 403, 20003);
  });
});
