import type { TestGateway } from './gateway.js';
import { API_KEY, gatewayToml, SECOND_API_KEY } from './gateway.js';

/** Account SID of the first API key of `twilioApiToml`. */
export const ACCOUNT_SID = `AC${'a1'.repeat(16)}`;

/** Account SID of the second API key of `twilioApiToml`. */
export const SECOND_ACCOUNT_SID = `AC${'b2'.repeat(16)}`;

/** A sender number in E.164. */
export const SENDER = '+15005550006';

/**
 * Returns `gatewayToml(options)` with an `account_sid` on both API keys: `ACCOUNT_SID` on the
 * first (`alerting`) and `SECOND_ACCOUNT_SID` on the second (`billing`).
 */
export function twilioApiToml(options: Parameters<typeof gatewayToml>[0] = {}): string {
  return gatewayToml(options)
    .replace(`key = "${API_KEY}"`, `key = "${API_KEY}"\naccount_sid = "${ACCOUNT_SID}"`)
    .replace(
      `key = "${SECOND_API_KEY}"`,
      `key = "${SECOND_API_KEY}"\naccount_sid = "${SECOND_ACCOUNT_SID}"`,
    );
}

/** Returns an HTTP Basic Authorization header value. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Returns the Messages list path of `accountSid`, with `.json`. */
export function messagesUri(accountSid = ACCOUNT_SID): string {
  return `/2010-04-01/Accounts/${accountSid}/Messages.json`;
}

/** Returns the path of one message's resource. */
export function messageUri(sid: string, accountSid = ACCOUNT_SID): string {
  return `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`;
}

/** Headers of a request with the first API key's Twilio credentials. */
export const twilioHeaders = {
  Authorization: basicAuth(ACCOUNT_SID, API_KEY),
};

/**
 * Posts `params` form-encoded to the Messages list of `ACCOUNT_SID` with the first key's
 * credentials; `headers` are added to, or replace, the default ones.
 */
export async function createMessage(
  relay: TestGateway,
  params: Record<string, string> | URLSearchParams,
  headers: Record<string, string> = {},
): Promise<Response> {
  return relay.app.request(messagesUri(), {
    method: 'POST',
    headers: {
      ...twilioHeaders,
      'Content-Type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body: new URLSearchParams(params).toString(),
  });
}

/** Sends `GET path` with the first API key's Twilio credentials. */
export async function getTwilio(relay: TestGateway, path: string): Promise<Response> {
  return relay.app.request(path, { headers: twilioHeaders });
}

/** The body of a Twilio error response. */
export interface TwilioErrorBody {
  readonly code: number;
  readonly message: string;
  readonly more_info: string;
  readonly status: number;
  readonly details: {
    readonly code: string;
    readonly request_id: string;
    readonly sid?: string;
    readonly errors?: ReadonlyArray<{ path: string; code: string; message: string }>;
    readonly retry_after?: number;
    readonly possible_duplicate?: boolean;
    readonly escalated_to?: readonly string[];
  };
}
