import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import twilio from 'twilio';
import type { Logger } from 'pino';
import { expect, vi } from 'vitest';

import { parseConfig } from '../../src/config/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from './gateway.js';
import type { FakeProvider, Responder } from './provider-fakes.js';
import { startTwilioFake, startVonageFake, twilioAccount, vonageAccount } from './provider-wire.js';
import {
  RELAY_API_KEY,
  relayEnv,
  relayToml,
  type ProviderTuning,
  type RelayTomlOptions,
} from './relay.js';

/** A message as `GET /v1/messages/{id}` returns it, reduced to what delivery tests read. */
export interface MessageView {
  readonly id: string;
  readonly status: string;
  readonly code: string | null;
  readonly provider: string | null;
  readonly provider_message_id: string | null;
  readonly possible_duplicate: boolean;
  readonly status_history: readonly {
    status: string;
    code: string | null;
    provider_code: string | null;
  }[];
  readonly attempts: readonly {
    number: number;
    provider: string;
    outcome: string | null;
    provider_message_id: string | null;
    resend: boolean;
    superseded: boolean;
    delivery: { status: string; provider_code: string | null; failure_class: string | null } | null;
  }[];
}

/** A gateway served over real HTTP on 127.0.0.1, with loopback Twilio and Vonage fakes. */
export interface DeliveryRelay {
  /** The gateway's own base URL, `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly gateway: Gateway;
  readonly twilio: FakeProvider;
  readonly vonage: FakeProvider;
  readonly running: RunningServer;
  /** Posts a sync message with the API key and returns its id. Fails the test unless 200. */
  sendMessage(body?: Record<string, unknown>): Promise<MessageView>;
  /** Reads a message with `GET /v1/messages/{id}`. */
  message(id: string): Promise<MessageView>;
  /** Every log line written so far, parsed. */
  logLines(): Record<string, unknown>[];
  /** Resolves with the first log line whose `msg` is `msg`, once it has been written. */
  logged(msg: string): Promise<Record<string, unknown>>;
  logText(): string;
  close(): Promise<void>;
}

export interface DeliveryRelayOptions {
  /**
   * `server.public_base_url`: `'self'` for the gateway's own URL, a URL for a proxy in front of
   * it, or undefined to leave it out.
   */
  readonly publicBaseUrl?: 'self' | string;
  readonly twilio?: ProviderTuning;
  readonly vonage?: ProviderTuning;
  /** Vonage first, Twilio second, instead of the other way round. */
  readonly vonageFirst?: boolean;
  readonly twilioResponder?: Responder;
  readonly vonageResponder?: Responder;
  readonly route?: RelayTomlOptions['route'];
  /** Extra TOML after `[routes.default]`. */
  readonly extra?: string;
  /** Dotted top-level keys, such as `server.shutdown_timeout_ms`. */
  readonly topLevel?: Readonly<Record<string, number | string>>;
  /** Data directory to use and keep, for a restart on the same store; a new one by default. */
  readonly dataDir?: string;
}

export const MESSAGE = { to: '+15005550006', body: 'db-1 disk 97% full' } as const;

/**
 * Starts the Twilio and Vonage fakes and a gateway on a free port with `startServer`, as
 * production runs it, with a logger that writes to memory.
 */
export async function startDeliveryRelay(
  options: DeliveryRelayOptions = {},
): Promise<DeliveryRelay> {
  const twilioFake = await startTwilioFake(options.twilioResponder);
  const vonageFake = await startVonageFake(options.vonageResponder);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const publicBaseUrl = options.publicBaseUrl === 'self' ? url : options.publicBaseUrl;

  let toml = relayToml({
    twilioUrl: twilioFake.url,
    vonageUrl: vonageFake.url,
    ...(options.twilio ? { twilio: options.twilio } : {}),
    ...(options.vonage ? { vonage: options.vonage } : {}),
    ...(options.route ? { route: options.route } : {}),
    ...(options.extra ? { extra: options.extra } : {}),
    topLevel: {
      ...options.topLevel,
      ...(publicBaseUrl === undefined ? {} : { 'server.public_base_url': publicBaseUrl }),
    },
  });
  if (options.vonageFirst) {
    toml = toml.replace(
      'providers = ["twilio-main", "vonage-main"]',
      'providers = ["vonage-main", "twilio-main"]',
    );
  }

  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sms-relay-delivery-'));
  const env = { ...relayEnv(), SMS_RELAY_DATA_DIR: dataDir, PORT: String(port) };
  const config = parseConfig(toml, env, 'delivery test config');
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger: Logger = createLogger('debug', sink);
  const gateway = createGateway(config, { random: () => 0 });
  const running = await startServer(gateway, logger);
  const logText = (): string => chunks.join('');
  const logLines = (): Record<string, unknown>[] =>
    logText()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  const readMessage = async (id: string): Promise<MessageView> => {
    const response = await fetch(`${url}/v1/messages/${id}`, {
      headers: { Authorization: `Bearer ${RELAY_API_KEY}` },
    });
    if (response.status !== 200) {
      throw new Error(`GET /v1/messages/${id} answered ${response.status}`);
    }
    return (await response.json()) as MessageView;
  };

  return {
    url,
    gateway,
    twilio: twilioFake,
    vonage: vonageFake,
    running,
    async sendMessage(body = MESSAGE) {
      const response = await fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${RELAY_API_KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as { id: string };
      if (response.status !== 200) {
        throw new Error(`POST /v1/messages answered ${response.status}: ${JSON.stringify(json)}`);
      }
      return readMessage(json.id);
    },
    message: readMessage,
    logText,
    logLines,
    async logged(msg) {
      let found: Record<string, unknown> | undefined;
      await vi.waitFor(
        () => {
          found = logLines().find((line) => line['msg'] === msg);
          expect(found).toBeDefined();
        },
        { timeout: 10_000, interval: 20 },
      );
      return found ?? {};
    },
    async close() {
      await running.shutdown();
      await Promise.all([twilioFake.close(), vonageFake.close()]);
      if (options.dataDir === undefined) {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Returns Twilio's status callback fields for message `sid`, as Twilio posts them. */
export function twilioStatusFields(
  sid: string,
  status: string,
  errorCode?: string,
): Record<string, string> {
  return {
    MessageSid: sid,
    SmsSid: sid,
    MessageStatus: status,
    SmsStatus: status,
    AccountSid: twilioAccount.accountSid,
    From: twilioAccount.from,
    To: MESSAGE.to,
    ApiVersion: '2010-04-01',
    ...(errorCode === undefined ? {} : { ErrorCode: errorCode }),
  };
}

export interface TwilioPostOptions {
  /** Path and query below the gateway URL; `/webhooks/twilio/status` by default. */
  readonly path?: string;
  /** URL the signature covers; the URL actually posted to by default. */
  readonly signedUrl?: string;
  /** Auth token that signs; the test account's by default. */
  readonly authToken?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Posts a form-encoded status callback to the gateway, signed with the twilio SDK's
 * `getExpectedTwilioSignature` as Twilio signs it.
 */
export function postTwilioCallback(
  gatewayUrl: string,
  fields: Record<string, string>,
  options: TwilioPostOptions = {},
): Promise<Response> {
  const target = `${gatewayUrl}${options.path ?? '/webhooks/twilio/status'}`;
  const signature = twilio.getExpectedTwilioSignature(
    options.authToken ?? twilioAccount.authToken,
    options.signedUrl ?? target,
    fields,
  );
  return fetch(target, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': signature,
      ...options.headers,
    },
    body: new URLSearchParams(fields).toString(),
  });
}

/** Returns the fields of an SMS API delivery receipt for `messageId`, as Vonage posts them. */
export function vonageReceiptFields(
  messageId: string,
  status: string,
  errorCode = '0',
): Record<string, string> {
  return {
    msisdn: MESSAGE.to.slice(1),
    to: vonageAccount.from,
    'network-code': '23410',
    messageId,
    price: '0.03330000',
    status,
    scts: '2601011200',
    'err-code': errorCode,
    'api-key': vonageAccount.apiKey,
    'message-timestamp': '2026-01-01 12:00:00',
  };
}

/**
 * Adds `timestamp`, `nonce` and `sig` to receipt fields, computed as Vonage documents for signed
 * webhooks: every field sorted by name as `&name=value` (with `&` and `=` in values replaced by
 * `_`), then an MD5 of that string and the secret, or an HMAC keyed with the secret.
 */
export function signVonageReceipt(
  fields: Record<string, string>,
  secret: string,
  method: 'md5hash' | 'md5' | 'sha1' | 'sha256' | 'sha512',
  timestampSeconds = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const unsigned: Record<string, string> = {
    ...fields,
    timestamp: String(timestampSeconds),
    nonce: 'a1b2c3d4-nonce',
  };
  const text = Object.keys(unsigned)
    .sort()
    .map((name) => `&${name}=${(unsigned[name] ?? '').replace(/[&=]/g, '_')}`)
    .join('');
  const sig =
    method === 'md5hash'
      ? createHash('md5')
          .update(text + secret)
          .digest('hex')
      : createHmac(method, secret).update(text).digest('hex');
  return { ...unsigned, sig };
}

/** Posts receipt fields to the gateway as JSON (the default), as a form, or in a GET query. */
export function postVonageReceipt(
  gatewayUrl: string,
  fields: Record<string, string>,
  format: 'json' | 'form' | 'get' = 'json',
  path = '/webhooks/vonage/dlr',
): Promise<Response> {
  if (format === 'get') {
    return fetch(`${gatewayUrl}${path}?${new URLSearchParams(fields).toString()}`);
  }
  const json = format === 'json';
  return fetch(`${gatewayUrl}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': json ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: json ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
  });
}
