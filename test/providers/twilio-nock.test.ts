import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { SendRequest } from '../../providers/contract.js';
import { twilioDefinition } from '../../providers/twilio/index.js';
import {
  twilioAccount,
  twilioAuthorization,
  twilioMessagesPath,
} from '../helpers/provider-wire.js';
import { providerErrorOf } from './fake-server.js';

const TWILIO_ORIGIN = 'https://api.twilio.com';
const sid = `SM${'a'.repeat(32)}`;
const message: SendRequest = {
  to: '+15005550006',
  body: 'Disk full on db-7',
  encoding: 'GSM-7',
  attempt: 1,
};

// The adapter as the config schema builds it when base_url is left at its default.
const provider = twilioDefinition.create(
  'twilio-main',
  {
    account_sid: twilioAccount.accountSid,
    auth_token: twilioAccount.authToken,
    from: twilioAccount.from,
    base_url: TWILIO_ORIGIN,
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

/** Intercepts one create-message call and records the form it carried. */
function interceptCreate(
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): { readonly forms: URLSearchParams[] } {
  const forms: URLSearchParams[] = [];
  nock(TWILIO_ORIGIN, { reqheaders: { authorization: twilioAuthorization } })
    .post(twilioMessagesPath, (form: unknown) => {
      forms.push(new URLSearchParams(form as Record<string, string>));
      return true;
    })
    .reply(status, body, { 'Content-Type': 'application/json', ...headers });
  return { forms };
}

function twilioErrorBody(status: number, code: number): Record<string, unknown> {
  return {
    code,
    message: `Twilio error ${code}`,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  };
}

async function sendFailure() {
  return providerErrorOf(provider.send(message, new AbortController().signal));
}

describe('twilio adapter against api.twilio.com', () => {
  it('returns the sid and segments of a created message', async () => {
    interceptCreate(201, { sid, status: 'queued', num_segments: '1', to: message.to });
    const result = await provider.send(message, new AbortController().signal);

    expect(result.providerMessageId).toBe(sid);
    expect(result.segments).toBe(1);
    expect(nock.isDone()).toBe(true);
  });

  it('sends To in E.164 with From and Body as a form', async () => {
    const { forms } = interceptCreate(201, { sid, status: 'queued', num_segments: '1' });
    await provider.send(message, new AbortController().signal);
    const [form] = forms;

    expect(forms).toHaveLength(1);
    expect(form?.get('To')).toBe('+15005550006');
    expect(form?.get('From')).toBe(twilioAccount.from);
    expect(form?.get('Body')).toBe(message.body);
  });

  it('classifies 503 as transient', async () => {
    interceptCreate(503, twilioErrorBody(503, 20503));
    const error = await sendFailure();

    expect(error.errorClass).toBe('transient');
    expect(error.httpStatus).toBe(503);
    expect(error.providerCode).toBe('20503');
  });

  it('classifies 429 as throttled with its Retry-After', async () => {
    interceptCreate(429, twilioErrorBody(429, 20429), { 'Retry-After': '2' });
    const error = await sendFailure();

    expect(error.errorClass).toBe('throttled');
    expect(error.retryAfterMs).toBe(2000);
    expect(error.providerCode).toBe('20429');
  });

  it('sends a throttled request once', async () => {
    interceptCreate(429, twilioErrorBody(429, 20429), { 'Retry-After': '2' });
    // A second interceptor catches a retry that the SDK might make on its own.
    const retry = interceptCreate(201, { sid, status: 'queued' });
    await sendFailure();

    expect(retry.forms).toHaveLength(0);
    expect(unmatched).toEqual([]);
  });

  it('classifies 401 with code 20003 as a provider config fault', async () => {
    interceptCreate(401, twilioErrorBody(401, 20003));
    const error = await sendFailure();

    expect(error.errorClass).toBe('provider');
    expect(error.configFault).toBe(true);
    expect(error.providerCode).toBe('20003');
  });

  it('classifies 400 with code 21211 as a rejected recipient', async () => {
    interceptCreate(400, twilioErrorBody(400, 21211));
    const error = await sendFailure();

    expect(error.errorClass).toBe('rejected');
    expect(error.rejection).toBe('invalid_recipient');
    expect(error.providerCode).toBe('21211');
  });

  it('classifies 500 as ambiguous', async () => {
    interceptCreate(500, twilioErrorBody(500, 20500));
    const error = await sendFailure();

    expect(error.errorClass).toBe('ambiguous');
    expect(error.httpStatus).toBe(500);
  });
});
