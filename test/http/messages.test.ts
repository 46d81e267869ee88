import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  API_KEY,
  createTestGateway,
  gatewayToml,
  providerCalled,
  SECOND_API_KEY,
  type TestGateway,
} from '../helpers/gateway.js';

const RECIPIENT = '+14155550100';
const BODY = 'db-1 disk 97% full, page 4711';
const message = { to: RECIPIENT, body: BODY };

interface Problem {
  id?: string;
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  request_id: string;
  errors?: { path: string; code: string; message: string }[];
  attempts?: { provider: string; outcome: string }[];
  escalated_to?: string[];
  retry_after?: number;
}

let current: TestGateway | undefined;

function start(toml = gatewayToml()): TestGateway {
  current = createTestGateway(toml);
  return current;
}

afterEach(async () => {
  vi.useRealTimers();
  await current?.close();
  current = undefined;
});

async function problemOf(response: Response): Promise<Problem> {
  expect(response.headers.get('Content-Type')).toBe('application/problem+json');
  return (await response.json()) as Problem;
}

function requestLine(relay: TestGateway, requestId: string): Record<string, unknown> | undefined {
  return relay
    .logLines()
    .find((line) => line['msg'] === 'request' && line['request_id'] === requestId);
}

describe('POST /v1/messages, sent', () => {
  it('returns the sent message', async () => {
    const relay = start();
    const response = await relay.send({ ...message, reference: 'incident-42' });
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/^application\/json/);

    const body = (await response.json()) as Record<string, unknown>;
    expect(body['id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(body['status']).toBe('sent');
    expect(body['to']).toBe(RECIPIENT);
    expect(body['provider']).toBe('sim-a');
    expect(body['provider_message_id']).toMatch(/^SIM[0-9a-f]{24}$/);
    expect(body['segments']).toBe(1);
    expect(body['encoding']).toBe('GSM-7');
    expect(body['possible_duplicate']).toBe(false);
    expect(body['reference']).toBe('incident-42');
    expect(body['request_id']).toBe(response.headers.get('X-Request-Id'));
  });

  it('returns each attempt', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    const response = await relay.send(message);
    expect(response.status).toBe(200);

    const body = (await response.json()) as { attempts: Record<string, unknown>[] };
    expect(body.attempts).toHaveLength(2);
    expect(body.attempts[0]).toEqual({
      provider: 'sim-a',
      outcome: 'transient',
      http_status: 503,
      provider_code: null,
      duration_ms: expect.any(Number) as number,
    });
    expect(body.attempts[1]).toEqual({
      provider: 'sim-b',
      outcome: 'sent',
      http_status: null,
      provider_code: null,
      duration_ms: expect.any(Number) as number,
    });
  });

  it('normalizes the recipient to E.164', async () => {
    const relay = start();
    const response = await relay.send({ to: '+44 07700 900123', body: BODY });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(body['to']).toBe('+447700900123');
  });

  it('counts segments in UCS-2', async () => {
    const relay = start();
    const response = await relay.send({ to: RECIPIENT, body: `${'a'.repeat(70)}∞` });
    const body = (await response.json()) as Record<string, unknown>;
    expect(body['encoding']).toBe('UCS-2');
    expect(body['segments']).toBe(2);
  });

  it('accepts every configured API key', async () => {
    const relay = start();
    const first = await relay.send(message);
    const second = await relay.send(message, { Authorization: `Bearer ${SECOND_API_KEY}` });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
  });

  it('logs the name of the API key, never the key', async () => {
    const relay = start();
    const first = await relay.send(message);
    const second = await relay.send(message, { Authorization: `Bearer ${SECOND_API_KEY}` });

    const firstLine = requestLine(relay, first.headers.get('X-Request-Id') ?? '');
    const secondLine = requestLine(relay, second.headers.get('X-Request-Id') ?? '');
    expect(firstLine?.['principal']).toBe('alerting');
    expect(secondLine?.['principal']).toBe('billing');
    expect(relay.logText()).not.toContain(API_KEY);
    expect(relay.logText()).not.toContain(SECOND_API_KEY);
  });
});

describe('POST /v1/messages, invalid requests', () => {
  it('rejects malformed JSON', async () => {
    const relay = start();
    const problem = await problemOf(await relay.send('{"to": "+1415'));
    expect(problem.status).toBe(400);
    expect(problem.code).toBe('invalid_request');
    expect(problem.errors?.[0]?.code).toBe('malformed_json');
  });

  it('rejects a JSON array', async () => {
    const relay = start();
    const problem = await problemOf(await relay.send([message]));
    expect(problem.status).toBe(400);
    expect(problem.code).toBe('invalid_request');
    expect(problem.errors?.[0]?.code).toBe('invalid_type');
  });

  it('rejects a recipient that is not a string', async () => {
    const relay = start();
    const problem = await problemOf(await relay.send({ to: 14155550100, body: BODY }));
    expect(problem.errors).toEqual([
      { path: 'to', code: 'invalid_type', message: 'to must be a string' },
    ]);
  });

  it('rejects a body of white space only', async () => {
    const relay = start();
    const problem = await problemOf(await relay.send({ to: RECIPIENT, body: ' \n\t ' }));

    expect(problem.errors?.map((error) => error.code)).toEqual(['body_empty']);
  });

  it('rejects a line break in the reference', async () => {
    const relay = start();
    const problem = await problemOf(
      await relay.send({ ...message, reference: 'r\r\nBcc: ops@example.com' }),
    );

    expect(problem.status).toBe(400);
    expect(problem.errors?.map((error) => error.path)).toEqual(['reference']);
  });

  it('rejects a padded sender ID', async () => {
    const relay = start();
    const problem = await problemOf(await relay.send({ ...message, from: ' Alerts ' }));

    expect(problem.errors?.map((error) => error.path)).toEqual(['from']);
  });

  it('names an unknown field', async () => {
    const relay = start();
    const problem = await problemOf(await relay.send({ ...message, priority: 'high' }));
    expect(problem.status).toBe(400);
    expect(problem.code).toBe('invalid_request');
    expect(problem.errors?.[0]?.code).toBe('unknown_field');
    expect(problem.errors?.[0]?.path).toBe('priority');
    expect(problem.detail).toContain('"priority"');
  });

  it.each(['to', 'body'])('rejects a request without %s', async (field) => {
    const relay = start();
    const input: Record<string, string> = { ...message };
    delete input[field];
    const problem = await problemOf(await relay.send(input));
    expect(problem.status).toBe(400);
    expect(problem.code).toBe('invalid_request');
    expect(problem.errors).toEqual([
      { path: field, code: 'missing_field', message: `${field} is required` },
    ]);
  });

  it('rejects an impossible number', async () => {
    const relay = start();
    const problem = await problemOf(await relay.send({ to: '+1 415 55', body: BODY }));
    expect(problem.status).toBe(400);
    expect(problem.errors?.[0]?.path).toBe('to');
    expect(problem.errors?.[0]?.code).toBe('invalid_phone_number');
  });

  it('rejects a number without country code', async () => {
    const relay = start();
    const problem = await problemOf(await relay.send({ to: '07700 900123', body: BODY }));
    expect(problem.status).toBe(400);
    expect(problem.errors?.[0]?.path).toBe('to');
    expect(problem.errors?.[0]?.code).toBe('missing_country_code');
  });

  it('rejects a body of 1601 characters', async () => {
    const relay = start();
    const problem = await problemOf(await relay.send({ to: RECIPIENT, body: 'a'.repeat(1601) }));
    expect(problem.status).toBe(400);
    expect(problem.errors?.[0]?.path).toBe('body');
    expect(problem.errors?.[0]?.code).toBe('body_too_long');
  });

  it('accepts a body of 1600 characters', async () => {
    const relay = start();
    const response = await relay.send({ to: RECIPIENT, body: 'a'.repeat(1600) });
    expect(response.status).toBe(200);
  });

  it('rejects a sender ID over 11 characters', async () => {
    const relay = start();
    const problem = await problemOf(await relay.send({ ...message, from: 'SmsRelayOps1' }));
    expect(problem.status).toBe(400);
    expect(problem.errors?.[0]?.path).toBe('from');
    expect(problem.errors?.[0]?.code).toBe('invalid_sender');
  });

  it('ends the detail with one full stop', async () => {
    const relay = start();
    const problem = await problemOf(await relay.send({ to: '07700 900123', body: BODY }));
    expect(problem.detail).toMatch(/[^.]\.$/);
  });

  it('makes no provider call for invalid input', async () => {
    const relay = start();
    await relay.send({ to: '+1 415 55', body: BODY });
    await relay.send({ to: RECIPIENT, body: '' });
    expect(relay.gateway.stats.counts('sim-a').sent).toBe(0);
    expect(relay.simulator('sim-a').sentCount).toBe(0);
  });

  it('rejects credentials in callback_url', async () => {
    const relay = start();
    const callbackUrl = 'http://ops:hunter2@127.0.0.1:9/status';
    const problem = await problemOf(
      await relay.send({ ...message, mode: 'async', callback_url: callbackUrl }),
    );

    expect(problem.status).toBe(400);
    expect(problem.code).toBe('invalid_request');
    expect(problem.errors?.[0]?.path).toBe('callback_url');
    expect(problem.errors?.[0]?.code).toBe('credentials_in_url');
    expect(problem.detail).toContain('user name or password');
    expect(problem.detail).toContain('query string');
    expect(problem.detail).not.toContain('hunter2');
  });

  it('rejects an unknown route', async () => {
    const relay = start();
    const problem = await problemOf(await relay.send({ ...message, route: 'pagers' }));
    expect(problem.status).toBe(400);
    expect(problem.code).toBe('unknown_route');
    expect(problem.detail).toContain('"pagers"');
  });

  it('rejects a body over 64 KiB', async () => {
    const relay = start();
    const problem = await problemOf(await relay.send({ to: RECIPIENT, body: 'a'.repeat(70_000) }));
    expect(problem.status).toBe(413);
    expect(problem.code).toBe('payload_too_large');
  });

  it('rejects text/plain', async () => {
    const relay = start();
    const response = await relay.send(JSON.stringify(message), { 'Content-Type': 'text/plain' });
    const problem = await problemOf(response);
    expect(problem.status).toBe(415);
    expect(problem.code).toBe('unsupported_media_type');
  });

  it('returns a problem for an unknown path', async () => {
    const relay = start();
    const problem = await problemOf(await relay.app.request('/v2/messages'));
    expect(problem.status).toBe(404);
    expect(problem.code).toBe('not_found');
  });
});

describe('POST /v1/messages, authentication', () => {
  it('rejects a request without a key', async () => {
    const relay = start();
    const response = await relay.send(message, { Authorization: '' });
    const problem = await problemOf(response);
    expect(problem.status).toBe(401);
    expect(problem.code).toBe('unauthorized');
    expect(response.headers.get('WWW-Authenticate')).toMatch(/^Bearer\b/);
  });

  it('rejects a wrong key', async () => {
    const relay = start();
    const response = await relay.send(message, { Authorization: 'Bearer not-the-key-0123' });
    const problem = await problemOf(response);
    expect(problem.status).toBe(401);
    expect(problem.code).toBe('unauthorized');
    expect(response.headers.get('WWW-Authenticate')).toMatch(/^Bearer\b/);
  });

  it('does not log a wrong key', async () => {
    const relay = start();
    await relay.send(message, { Authorization: 'Bearer not-the-key-0123' });
    expect(relay.logText()).not.toContain('not-the-key-0123');
  });

  it('makes no provider call without a key', async () => {
    const relay = start();
    await relay.send(message, { Authorization: '' });
    expect(relay.simulator('sim-a').sentCount).toBe(0);
  });
});

describe('POST /v1/messages, provider failures', () => {
  it('returns 422 for a rejected recipient', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'rejected' });
    const problem = await problemOf(await relay.send(message));
    expect(problem.status).toBe(422);
    expect(problem.code).toBe('invalid_recipient');
    expect(problem.attempts?.map((attempt) => attempt.outcome)).toEqual(['rejected']);
  });

  it('does not fail over after a rejection', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'rejected' });
    await relay.send(message);
    expect(relay.simulator('sim-b').sentCount).toBe(0);
    expect(relay.gateway.stats.counts('sim-b').sent).toBe(0);
  });

  it('returns 502 when every provider fails', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    relay.simulator('sim-b').simulate({ mode: 'provider' });
    const problem = await problemOf(await relay.send(message));
    expect(problem.status).toBe(502);
    expect(problem.code).toBe('all_providers_failed');
    expect(problem.attempts?.map((attempt) => attempt.provider)).toEqual(['sim-a', 'sim-b']);
    expect(problem.attempts?.map((attempt) => attempt.outcome)).toEqual(['transient', 'provider']);
    expect(problem.escalated_to).toEqual(['error_log']);
  });

  it('returns 502 outcome_unknown when the route stops', async () => {
    const relay = start(
      gatewayToml({ defaultRoute: 'providers = ["sim-a", "sim-b"]\non_ambiguous = "stop"' }),
    );
    relay.simulator('sim-a').simulate({ mode: 'ambiguous' });
    const problem = await problemOf(await relay.send(message));
    expect(problem.status).toBe(502);
    expect(problem.code).toBe('outcome_unknown');
    expect(problem.attempts?.map((attempt) => attempt.outcome)).toEqual(['ambiguous']);
    expect(relay.simulator('sim-b').sentCount).toBe(0);
  });

  it('flags a possible duplicate', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'ambiguous' });
    const response = await relay.send(message);
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(body['possible_duplicate']).toBe(true);
  });

  it('returns 503 when both breakers are open', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    relay.simulator('sim-b').simulate({ mode: 'transient' });
    for (let i = 0; i < 3; i++) {
      expect((await relay.send(message)).status).toBe(502);
    }

    const response = await relay.send(message);
    const problem = await problemOf(response);
    expect(problem.status).toBe(503);
    expect(problem.code).toBe('no_provider_available');
    expect(problem.attempts).toEqual([]);
    // Both breakers stay open for open_duration_ms = 60 s.
    expect(response.headers.get('Retry-After')).toBe('60');
    expect(problem.retry_after).toBe(60);
  });

  it('returns outcome_unknown when the deadline ends an ambiguous attempt', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const relay = start(
      gatewayToml({ defaultRoute: 'providers = ["sim-a", "sim-b"]\ndeadline_ms = 500' }),
    );
    relay.simulator('sim-a').simulate({ mode: 'hang' });
    const called = providerCalled(relay.simulator('sim-a'));

    const pending = relay.send(message);
    await called;
    await vi.advanceTimersByTimeAsync(500);
    const problem = await problemOf(await pending);
    expect(problem.status).toBe(502);
    expect(problem.code).toBe('outcome_unknown');
    expect(problem.attempts?.map((attempt) => attempt.outcome)).toEqual(['ambiguous']);
    expect(relay.simulator('sim-b').sentCount).toBe(0);
  });
});

describe('problem responses', () => {
  const problemCases: [string, (relay: TestGateway) => Response | Promise<Response>][] = [
    ['400', (relay) => relay.send('{')],
    ['401', (relay) => relay.send(message, { Authorization: '' })],
    ['404', (relay) => relay.app.request('/nowhere')],
    ['415', (relay) => relay.send('{}', { 'Content-Type': 'text/plain' })],
    [
      '502',
      (relay) => {
        relay.simulator('sim-a').simulate({ mode: 'transient' });
        relay.simulator('sim-b').simulate({ mode: 'transient' });
        return relay.send(message);
      },
    ],
  ];

  it.each(problemCases)('%s has every problem member', async (_status, request) => {
    const relay = start();
    const response = await request(relay);
    const problem = await problemOf(response);
    expect(problem.type).toBe(`https://sms-relay.dev/problems/${problem.code}`);
    expect(problem.title).toEqual(expect.any(String));
    expect(problem.status).toBe(response.status);
    expect(problem.detail).toEqual(expect.any(String));
    expect(problem.code).toMatch(/^[a-z_]+$/);
    expect(problem.request_id).toBe(response.headers.get('X-Request-Id'));
  });

  it.each(problemCases)('%s has no stack trace', async (_status, request) => {
    const relay = start();
    const text = await (await request(relay)).text();
    expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(text).not.toContain('"stack"');
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const relay = start();
    const response = await relay.app.request('/v1/messages', {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${API_KEY}` },
    });
    const problem = await problemOf(response);

    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe('GET, HEAD, POST');
    expect(problem.code).toBe('method_not_allowed');
  });

  it('hides the message of an unexpected error', async () => {
    const relay = start();
    relay.app.get('/v1/boom', () => {
      throw new Error('database password is hunter2');
    });
    const response = await relay.app.request('/v1/boom', {
      headers: { Authorization: `Bearer ${API_KEY}` },
    });
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(text).not.toContain('hunter2');
    expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });
});

describe('request ids', () => {
  it('echoes the client request id', async () => {
    const relay = start();
    const response = await relay.send(message, { 'X-Request-Id': 'alert-7f3a.1' });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.headers.get('X-Request-Id')).toBe('alert-7f3a.1');
    expect(body['request_id']).toBe('alert-7f3a.1');
  });

  it('generates an id when the client sends none', async () => {
    const relay = start();
    const response = await relay.send(message);
    expect(response.headers.get('X-Request-Id')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('replaces an unsafe client request id', async () => {
    const relay = start();
    const response = await relay.send(message, { 'X-Request-Id': '<script>alert(1)</script>' });
    expect(response.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('request log', () => {
  it('logs status, outcome and providers tried', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    relay.simulator('sim-b').simulate({ mode: 'transient' });
    const response = await relay.send(message, { 'X-Request-Id': 'req-502' });
    expect(response.status).toBe(502);

    const line = requestLine(relay, 'req-502');
    expect(line?.['status']).toBe(502);
    expect(line?.['outcome']).toBe('all_providers_failed');
    expect(line?.['providers']).toEqual(['sim-a', 'sim-b']);
  });

  it('logs a sent message with its provider', async () => {
    const relay = start();
    await relay.send(message, { 'X-Request-Id': 'req-200' });
    const line = requestLine(relay, 'req-200');
    expect(line?.['status']).toBe(200);
    expect(line?.['outcome']).toBe('sent');
    expect(line?.['providers']).toEqual(['sim-a']);
  });

  it('logs the message id and reference', async () => {
    const relay = start();
    const response = await relay.send({ ...message, reference: 'incident-42' });
    const body = (await response.json()) as Record<string, unknown>;
    const line = requestLine(relay, String(body['request_id']));
    expect(line?.['message_id']).toBe(body['id']);
    expect(line?.['reference']).toBe('incident-42');
  });

  it('masks a phone number in the logged reference', async () => {
    const relay = start();
    const response = await relay.send({ ...message, reference: 'call +44 7700 900126' });
    const body = (await response.json()) as Record<string, unknown>;
    const line = requestLine(relay, String(body['request_id']));

    expect(line?.['reference']).toBe('call [number removed]');
    expect(JSON.stringify(relay.logLines())).not.toContain('900126');
  });

  it('logs an escalated message', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    relay.simulator('sim-b').simulate({ mode: 'transient' });
    const response = await relay.send(message);
    const problem = await problemOf(response);

    const line = relay.logLines().find((entry) => entry['msg'] === 'message escalated');
    expect(line?.['message_id']).toBe(problem.id);
    expect(line?.['request_id']).toBe(problem.request_id);
    expect(line?.['reason']).toBe('all_providers_failed');
    expect(line?.['channels']).toEqual(['error_log']);
  });

  it('logs no escalation for a sent message', async () => {
    const relay = start();
    await relay.send(message);
    expect(relay.logText()).not.toContain('message escalated');
  });

  it('never logs the recipient or the body', async () => {
    const relay = start();
    await relay.send(message);
    relay.simulator('sim-a').simulate({ mode: 'ambiguous' });
    await relay.send(message);
    relay.simulator('sim-b').simulate({ mode: 'transient' });
    await relay.send(message);
    await relay.send({ to: '+1 415 555 0100', body: BODY, route: 'nowhere' });
    await relay.send({ to: '+1 415 55', body: BODY });

    const log = relay.logText();
    expect(log).toContain('"msg":"request"');
    expect(log).not.toContain('4155550100');
    expect(log).not.toContain(BODY);
  });
});
