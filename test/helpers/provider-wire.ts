import {
  startFakeProvider,
  type FakeProvider,
  type HttpReply,
  type ReceivedRequest,
  type Responder,
} from './provider-fakes.js';

/** Test credentials of the Twilio account that the fakes and configs share. */
export const twilioAccount = {
  accountSid: `AC${'0'.repeat(32)}`,
  authToken: 'fake-twilio-auth-token-0001',
  from: '+15005550006',
} as const;

/** Test credentials of the Vonage account that the fakes and configs share. */
export const vonageAccount = {
  apiKey: 'fakekey01',
  apiSecret: 'fake-vonage-secret-0001',
  from: 'SMSRelay',
} as const;

/** Path of Twilio's create-message call (Messages API 2010-04-01). */
export const twilioMessagesPath = `/2010-04-01/Accounts/${twilioAccount.accountSid}/Messages.json`;

/** Path of the Vonage SMS API send call. */
export const vonageSmsPath = '/sms/json';

function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export const twilioAuthorization = basicAuth(twilioAccount.accountSid, twilioAccount.authToken);
export const vonageAuthorization = basicAuth(vonageAccount.apiKey, vonageAccount.apiSecret);

/** Parses the form fields of a Twilio create-message request. */
export function twilioForm(request: ReceivedRequest): URLSearchParams {
  return new URLSearchParams(request.body);
}

/** Parses the form of the create-message request numbered `index` that `fake` received. */
export function sentForm(fake: FakeProvider, index = 0): URLSearchParams {
  const request = fake.requests[index];
  if (request === undefined) {
    throw new Error(`the Twilio fake received no request number ${index}`);
  }
  return twilioForm(request);
}

/** Parses the JSON body of the send request numbered `index` that `fake` received. */
export function sentJson(fake: FakeProvider, index = 0): Record<string, unknown> {
  const request = fake.requests[index];
  if (request === undefined) {
    throw new Error(`the Vonage fake received no request number ${index}`);
  }
  return vonageJson(request);
}

/** Parses the JSON body of a Vonage SMS API request. */
export function vonageJson(request: ReceivedRequest): Record<string, unknown> {
  return JSON.parse(request.body) as Record<string, unknown>;
}

/**
 * Returns Twilio's 201 response to a create-message request, echoing its fields. A `numSegments` of null
 * leaves `num_segments` out of the resource, so that the gateway falls back to its own estimate.
 */
export function twilioCreated(
  request: ReceivedRequest,
  sid: string,
  numSegments: string | null = '1',
): HttpReply {
  const form = twilioForm(request);
  return {
    status: 201,
    body: {
      sid,
      account_sid: twilioAccount.accountSid,
      to: form.get('To'),
      from: form.get('From'),
      body: form.get('Body'),
      status: 'queued',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      ...(numSegments === null ? {} : { num_segments: numSegments }),
    },
  };
}

/** Returns a Twilio error response in the 2010 API's shape. */
export function twilioError(
  status: number,
  code: number,
  headers: Readonly<Record<string, string>> = {},
): HttpReply {
  return {
    status,
    headers,
    body: {
      code,
      message: `Twilio error ${code}`,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    },
  };
}

/**
 * Returns the error response Twilio's API sends to a request that is not a create-message call
 * with the test account's Basic credentials, or undefined for a well-formed one.
 */
export function twilioProtocolError(request: ReceivedRequest): HttpReply | undefined {
  if (request.method !== 'POST' || request.path !== twilioMessagesPath) {
    return twilioError(404, 20404);
  }
  if (request.headers['authorization'] !== twilioAuthorization) {
    return twilioError(401, 20003);
  }
  if (request.headers['content-type'] !== 'application/x-www-form-urlencoded') {
    return twilioError(400, 21604);
  }
  return undefined;
}

/** Returns the Vonage SMS API's HTTP 200 response for one accepted part, with string fields. */
export function vonageAccepted(request: ReceivedRequest, messageId: string): HttpReply {
  return {
    status: 200,
    body: {
      'message-count': '1',
      messages: [
        {
          to: String(vonageJson(request)['to']),
          'message-id': messageId,
          status: '0',
          'remaining-balance': '15.53590000',
          'message-price': '0.03330000',
          network: '23410',
        },
      ],
    },
  };
}

/** Returns the Vonage SMS API's HTTP 200 response for one failed part. */
export function vonageFailed(status: string, errorText: string): HttpReply {
  return {
    status: 200,
    body: { 'message-count': '1', messages: [{ status, 'error-text': errorText }] },
  };
}

/**
 * Returns the error response the Vonage SMS API sends to a request that is not a JSON send call
 * with the test account's Basic credentials, or undefined for a well-formed one.
 */
export function vonageProtocolError(request: ReceivedRequest): HttpReply | undefined {
  if (request.method !== 'POST' || request.path !== vonageSmsPath) {
    return { status: 404, body: { title: 'Not Found' } };
  }
  if (request.headers['authorization'] !== vonageAuthorization) {
    return { status: 401, body: { title: 'Unauthorized' } };
  }
  if (request.headers['content-type'] !== 'application/json') {
    return vonageFailed('2', 'Missing api_key');
  }
  return undefined;
}

/** Returns a Twilio message SID (`SM` and 32 hex digits) numbered `index`. */
export function twilioSid(index: number): string {
  return `SM${index.toString(16).padStart(32, '0')}`;
}

/** Returns a Vonage message-id numbered `index`. */
export function vonageMessageId(index: number): string {
  return `0C${index.toString(16).toUpperCase().padStart(14, '0')}`;
}

/** Starts a loopback Twilio Messages API that accepts every message unless `respond` decides otherwise. */
export function startTwilioFake(
  respond: Responder = (request, index) => twilioCreated(request, twilioSid(index)),
): Promise<FakeProvider> {
  return startFakeProvider(respond, twilioProtocolError);
}

/** Starts a loopback Vonage SMS API that accepts every message unless `respond` decides otherwise. */
export function startVonageFake(
  respond: Responder = (request, index) => vonageAccepted(request, vonageMessageId(index)),
): Promise<FakeProvider> {
  return startFakeProvider(respond, vonageProtocolError);
}
