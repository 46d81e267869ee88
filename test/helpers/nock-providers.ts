import nock from 'nock';

import {
  twilioAuthorization,
  twilioMessagesPath,
  vonageAuthorization,
  vonageSmsPath,
} from './provider-wire.js';

export const TWILIO_ORIGIN = 'https://api.twilio.com';
export const VONAGE_ORIGIN = 'https://rest.nexmo.com';

/** A response for nock to send: status, JSON body and headers. */
export interface NockReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Requests that reached no interceptor, as `METHOD host path`. */
export const unmatchedRequests: string[] = [];

const recordUnmatched = (request: { method?: string; host?: string; path?: string }): void => {
  unmatchedRequests.push(`${request.method ?? ''} ${request.host ?? ''} ${request.path ?? ''}`);
};

/**
 * Lets only loopback traffic reach the network and records requests that no interceptor matched.
 * Call in `beforeAll`; `releaseNetwork` undoes it.
 */
export function guardNetwork(): void {
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
  nock.emitter.on('no match', recordUnmatched);
}

/** Removes every interceptor and clears `unmatchedRequests`. Call it in `afterEach`. */
export function resetInterceptors(): void {
  nock.cleanAll();
  unmatchedRequests.length = 0;
}

export function releaseNetwork(): void {
  nock.emitter.off('no match', recordUnmatched);
  nock.enableNetConnect();
  nock.restore();
}

/**
 * Intercepts every create-message call to api.twilio.com that carries the test account's Basic
 * credentials, and responds to the call numbered `index` with `reply(form, index)`. Returns the
 * list of forms received, which grows as calls arrive.
 */
export function interceptTwilio(
  reply: (form: URLSearchParams, index: number) => NockReply,
): URLSearchParams[] {
  const forms: URLSearchParams[] = [];
  nock(TWILIO_ORIGIN, { reqheaders: { authorization: twilioAuthorization } })
    .persist()
    .post(twilioMessagesPath)
    .reply((_uri, body) => {
      const form = new URLSearchParams(typeof body === 'string' ? body : '');
      forms.push(form);
      const answer = reply(form, forms.length - 1);
      return [
        answer.status,
        answer.body,
        { 'Content-Type': 'application/json', ...answer.headers },
      ];
    });
  return forms;
}

/**
 * Intercepts every send call to rest.nexmo.com that carries the test account's Basic credentials,
 * and responds to the call numbered `index` with `reply(json, index)`. Returns the list of bodies
 * received, which grows as calls arrive.
 */
export function interceptVonage(
  reply: (json: Record<string, unknown>, index: number) => NockReply,
): Record<string, unknown>[] {
  const bodies: Record<string, unknown>[] = [];
  nock(VONAGE_ORIGIN, { reqheaders: { authorization: vonageAuthorization } })
    .persist()
    .post(vonageSmsPath)
    .reply((_uri, body) => {
      const json = (typeof body === 'string' ? JSON.parse(body) : body) as Record<string, unknown>;
      bodies.push(json);
      const answer = reply(json, bodies.length - 1);
      return [
        answer.status,
        answer.body,
        { 'Content-Type': 'application/json', ...answer.headers },
      ];
    });
  return bodies;
}

/** Returns a Twilio error response in the 2010 API's shape. */
export function twilioErrorReply(status: number, code: number): NockReply {
  return {
    status,
    body: {
      code,
      message: `Twilio error ${code}`,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status,
    },
  };
}

/** Returns Twilio's 201 response, echoing the form it received. */
export function twilioCreatedReply(form: URLSearchParams, sid: string): NockReply {
  return {
    status: 201,
    body: {
      sid,
      to: form.get('To'),
      from: form.get('From'),
      body: form.get('Body'),
      status: 'queued',
      num_segments: '1',
    },
  };
}

/** Returns the Vonage SMS API's HTTP 200 response for one accepted part. */
export function vonageAcceptedReply(json: Record<string, unknown>, messageId: string): NockReply {
  return {
    status: 200,
    body: {
      'message-count': '1',
      messages: [{ to: String(json['to']), 'message-id': messageId, status: '0' }],
    },
  };
}
