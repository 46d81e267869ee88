import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import type { Hono } from 'hono';
import type { Logger } from 'pino';

import { parseConfig, type Config } from '../../src/config/index.js';
import type { RetryEvent, CooldownEvent } from '../../src/events.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createApp } from '../../src/http/app.js';
import type { AppEnv } from '../../src/http/context.js';
import { createLogger } from '../../src/observability/logger.js';
import { logGatewayEvents } from '../../src/observability/log-events.js';
import type { BreakerState, BreakerTransition } from '../../src/resilience/breaker.js';
import { twilioAccount, vonageAccount } from './provider-wire.js';

export const RELAY_API_KEY = 'relay-test-api-key-0001';
export const TWILIO_ID = 'twilio-main';
export const VONAGE_ID = 'vonage-main';

/** Resilience keys of one provider, written into its `[[providers]]` table. */
export interface ProviderTuning {
  /** Raw TOML value of `enabled`, such as `true` or `"${VONAGE_ENABLED:-true}"`. */
  readonly enabled?: string;
  readonly attempt_timeout_ms?: number;
  readonly retry?: Readonly<Record<string, number>>;
  readonly breaker?: Readonly<Record<string, number | string>>;
  /** Adapter keys of the provider, such as Vonage's `signature_secret`. */
  readonly options?: Readonly<Record<string, number | string>>;
}

export interface RelayTomlOptions {
  /** Twilio base URL; unset keeps the default `https://api.twilio.com`. */
  readonly twilioUrl?: string;
  /** Vonage base URL; unset keeps the default `https://rest.nexmo.com`. */
  readonly vonageUrl?: string;
  readonly twilio?: ProviderTuning;
  readonly vonage?: ProviderTuning;
  /** Keys of `[routes.default]` next to its providers. */
  readonly route?: Readonly<Record<string, number | string | readonly string[]>>;
  /** Top-level keys written before every table, such as `default_region`. */
  readonly topLevel?: Readonly<Record<string, number | string>>;
  /** TOML text appended after `[routes.default]`, for tables such as `[routes.default.delivery]`. */
  readonly extra?: string;
}

/**
 * Builds a config with Twilio as the primary provider and Vonage as the secondary one of the
 * default route. Credentials come from the environment that `relayEnv` returns. Every key not
 * given keeps the shipped default, so a test sets only the thresholds its case names.
 */
export function relayToml(options: RelayTomlOptions = {}): string {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(options.topLevel ?? {})) {
    lines.push(`${key} = ${tomlValue(value)}`);
  }
  lines.push('[[api_keys]]', 'name = "field-tests"', 'key = "${RELAY_API_KEY}"', '');

  lines.push('[[providers]]', `id = "${TWILIO_ID}"`, 'type = "twilio"');
  lines.push('account_sid = "${TWILIO_ACCOUNT_SID}"', 'auth_token = "${TWILIO_AUTH_TOKEN}"');
  lines.push(`from = "${twilioAccount.from}"`);
  if (options.twilioUrl !== undefined) {
    lines.push(`base_url = "${options.twilioUrl}"`);
  }
  lines.push(...tuningLines(options.twilio), '');

  lines.push('[[providers]]', `id = "${VONAGE_ID}"`, 'type = "vonage"');
  lines.push('api_key = "${VONAGE_API_KEY}"', 'api_secret = "${VONAGE_API_SECRET}"');
  lines.push(`from = "${vonageAccount.from}"`);
  if (options.vonageUrl !== undefined) {
    lines.push(`base_url = "${options.vonageUrl}"`);
  }
  lines.push(...tuningLines(options.vonage), '');

  lines.push('[routes.default]', `providers = ["${TWILIO_ID}", "${VONAGE_ID}"]`);
  for (const [key, value] of Object.entries(options.route ?? {})) {
    lines.push(`${key} = ${tomlValue(value)}`);
  }
  if (options.extra !== undefined) {
    lines.push('', options.extra);
  }
  return `${lines.join('\n')}\n`;
}

/** Returns the environment that `relayToml` configs read their secrets from, plus `extra`. */
export function relayEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    RELAY_API_KEY,
    TWILIO_ACCOUNT_SID: twilioAccount.accountSid,
    TWILIO_AUTH_TOKEN: twilioAccount.authToken,
    VONAGE_API_KEY: vonageAccount.apiKey,
    VONAGE_API_SECRET: vonageAccount.apiSecret,
    ...extra,
  };
}

function tuningLines(tuning: ProviderTuning | undefined): string[] {
  if (tuning === undefined) {
    return [];
  }
  const lines: string[] = [];
  if (tuning.enabled !== undefined) {
    lines.push(`enabled = ${tuning.enabled}`);
  }
  if (tuning.attempt_timeout_ms !== undefined) {
    lines.push(`attempt_timeout_ms = ${tuning.attempt_timeout_ms}`);
  }
  for (const [key, value] of Object.entries(tuning.options ?? {})) {
    lines.push(`${key} = ${tomlValue(value)}`);
  }
  for (const table of ['retry', 'breaker'] as const) {
    const keys = tuning[table];
    if (keys !== undefined) {
      lines.push(`[providers.${table}]`);
      lines.push(...Object.entries(keys).map(([key, value]) => `${key} = ${tomlValue(value)}`));
    }
  }
  return lines;
}

function tomlValue(value: number | string | readonly string[]): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/** A breaker transition as the test saw it, with the `performance.now()` of its arrival. */
export interface SeenTransition extends BreakerTransition {
  readonly seenAt: number;
}

/** A gateway wired as `startServer` wires it, driven through `app.request()`. */
export interface Relay {
  readonly gateway: Gateway;
  readonly app: Hono<AppEnv>;
  readonly logger: Logger;
  /** The temporary data directory, removed by `close`. */
  readonly dataDir: string;
  readonly transitions: SeenTransition[];
  readonly retries: RetryEvent[];
  readonly cooldowns: CooldownEvent[];
  /** Posts `body` as JSON to `/v1/messages` with the API key. */
  send(body: unknown): Promise<Response>;
  /** Sends `GET path` with the API key. */
  get(path: string): Promise<Response>;
  /** Returns the current breaker state of provider `id`. */
  breakerState(id: string): BreakerState;
  /**
   * Resolves with the next transition of provider `id` to `state` from now on. Rejects when none
   * comes within `withinMs` of real time.
   */
  nextTransition(id: string, state: BreakerState, withinMs: number): Promise<SeenTransition>;
  /** Returns the log lines written so far, parsed. */
  logLines(): Record<string, unknown>[];
  close(): Promise<void>;
}

export interface RelayOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Source of randomness for backoff jitter; `() => 0` by default, so backoffs are 0 ms. */
  readonly random?: () => number;
}

/**
 * Parses `toml` with `parseConfig` and builds the gateway and its HTTP app on the real clock, in a
 * fresh data directory, with a logger that writes to memory.
 */
export function startRelay(toml: string, options: RelayOptions = {}): Relay {
  const dataDir = mkdtempSync(join(tmpdir(), 'sms-relay-field-'));
  const env = { ...relayEnv(options.env), SMS_RELAY_DATA_DIR: dataDir };
  let config: Config;
  try {
    config = parseConfig(toml, env, 'field test config');
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger('debug', sink);
  const gateway = createGateway(config, { random: options.random ?? (() => 0) });
  logGatewayEvents(gateway.events, logger);
  const app = createApp(gateway, { logger, isDraining: () => false });

  const transitions: SeenTransition[] = [];
  const retries: RetryEvent[] = [];
  const cooldowns: CooldownEvent[] = [];
  const waiters = new Set<(transition: SeenTransition) => void>();
  gateway.events.on('breaker', (transition) => {
    const seen = { ...transition, seenAt: performance.now() };
    transitions.push(seen);
    for (const waiter of waiters) {
      waiter(seen);
    }
  });
  gateway.events.on('retry', (event) => retries.push(event));
  gateway.events.on('cooldown', (event) => cooldowns.push(event));

  const authorization = `Bearer ${RELAY_API_KEY}`;
  return {
    gateway,
    app,
    logger,
    dataDir,
    transitions,
    retries,
    cooldowns,
    send: async (body) =>
      app.request('/v1/messages', {
        method: 'POST',
        headers: { Authorization: authorization, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }),
    get: async (path) => app.request(path, { headers: { Authorization: authorization } }),
    breakerState(id) {
      const slot = gateway.slots.get(id);
      if (slot === undefined) {
        throw new Error(`no enabled provider "${id}" in the test config`);
      }
      return slot.breaker.state;
    },
    nextTransition(id, state, withinMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`breaker of ${id} did not move to ${state} within ${withinMs} ms`));
        }, withinMs);
        const waiter = (transition: SeenTransition): void => {
          if (transition.provider === id && transition.to === state) {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve(transition);
          }
        };
        waiters.add(waiter);
      });
    },
    logLines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    async close() {
      await gateway.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The fields of a `POST /v1/messages` response that the field tests read. */
export interface MessageResponseBody {
  readonly status?: string;
  readonly code?: string;
  readonly to?: string;
  readonly provider?: string;
  readonly provider_message_id?: string;
  readonly segments?: number;
  readonly encoding?: string;
  readonly possible_duplicate?: boolean;
  readonly attempts?: ReadonlyArray<{
    readonly provider: string;
    readonly outcome: string;
    readonly http_status: number | null;
    readonly provider_code: string | null;
  }>;
  readonly errors?: ReadonlyArray<{ readonly path: string; readonly code: string }>;
  readonly escalated_to?: readonly string[];
}

/** Reads a message response body. */
export async function messageBody(response: Response): Promise<MessageResponseBody> {
  return (await response.json()) as MessageResponseBody;
}
