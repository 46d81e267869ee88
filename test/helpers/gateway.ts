import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { vi } from 'vitest';

import { SimulatorProvider } from '../../providers/simulator/index.js';
import { parseConfig } from '../../src/config/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createApp } from '../../src/http/app.js';
import type { AppEnv } from '../../src/http/context.js';
import { createLogger } from '../../src/observability/logger.js';
import { logGatewayEvents } from '../../src/observability/log-events.js';

export const API_KEY = 'test-api-key-0123';
export const SECOND_API_KEY = 'test-api-key-4567';
export const ADMIN_TOKEN = 'test-admin-token-0123';

/**
 * Returns a config with two API keys, an admin token and two simulators (`sim-a` first, `sim-b`
 * second) with no latency. Each provider tries once, and its breaker opens after 3 failures
 * for 60 s. `defaultRoute` replaces the body of `[routes.default]`; `extra` is appended, for
 * tables such as `[routes.x]` or `[escalation.error_log]`.
 */
export function gatewayToml(options: { defaultRoute?: string; extra?: string } = {}): string {
  return `
[[api_keys]]
name = "alerting"
key = "${API_KEY}"

[[api_keys]]
name = "billing"
key = "${SECOND_API_KEY}"

[[admin_tokens]]
name = "ops"
token = "${ADMIN_TOKEN}"

[defaults]
attempt_timeout_ms = 5000

[defaults.retry]
max_attempts = 1

[defaults.breaker]
failure_threshold = 3
open_duration_ms = 60000

[[providers]]
id = "sim-a"
type = "simulator"
latency_ms = 0

[[providers]]
id = "sim-b"
type = "simulator"
latency_ms = 0

[routes.default]
${options.defaultRoute ?? 'providers = ["sim-a", "sim-b"]'}

${options.extra ?? ''}
`;
}

export interface ChannelError {
  readonly channel: string;
  readonly eventId: string;
  readonly error: unknown;
}

/** A gateway with its HTTP app, wired as `startServer` wires it, minus the socket. */
export interface TestGateway {
  readonly gateway: Gateway;
  readonly app: Hono<AppEnv>;
  readonly logger: Logger;
  /** The data directory; `close` removes it unless the caller passed it in `dataDir`. */
  readonly dataDir: string;
  readonly channelErrors: ChannelError[];
  /** The simulator with id `id`. */
  simulator(id: string): SimulatorProvider;
  /** Everything logged so far, as the raw JSON lines. */
  logText(): string;
  /** Everything logged so far, parsed. */
  logLines(): Record<string, unknown>[];
  /** Posts `body` to `/v1/messages` as JSON with the first API key. */
  send(body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Starts shutdown: later requests get 503 and responses carry `Connection: close`. */
  startDraining(): void;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  /** Extra environment for `${VAR}` interpolation; `SMS_RELAY_DATA_DIR` is set to a temp dir. */
  readonly env?: Record<string, string>;
  /** Source of randomness for jitter and simulator failure rates; default `() => 0`. */
  readonly random?: () => number;
  /**
   * Whether to log the gateway's resilience events; default true. Pass false when the test calls
   * `startServer`, which subscribes its own logger.
   */
  readonly logEvents?: boolean;
  /**
   * An existing data directory, such as that of a closed gateway, to open its store again. The
   * caller removes it.
   */
  readonly dataDir?: string;
}

/**
 * Builds a gateway from TOML text with `parseConfig`, in a fresh temporary data directory, with a
 * pino logger that writes to memory. The clock reads the global `Date.now` on each call, so fake
 * timers installed after creation still control it. The default `random` of 0 makes every backoff
 * 0 ms and makes every attempt of a simulator in a failing mode fail.
 */
export function createTestGateway(toml: string, options: TestGatewayOptions = {}): TestGateway {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sms-relay-test-'));
  const config = parseConfig(toml, { ...options.env, SMS_RELAY_DATA_DIR: dataDir }, 'test config');

  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger('debug', sink);

  const channelErrors: ChannelError[] = [];
  const gateway = createGateway(config, {
    now: () => Date.now(),
    random: options.random ?? (() => 0),
    onChannelError: (channel, eventId, error) => channelErrors.push({ channel, eventId, error }),
  });
  if (options.logEvents ?? true) {
    logGatewayEvents(gateway.events, logger);
  }

  let draining = false;
  const app = createApp(gateway, { logger, isDraining: () => draining });
  const logText = (): string => chunks.join('');

  return {
    gateway,
    app,
    logger,
    dataDir,
    channelErrors,
    simulator(id) {
      const provider = gateway.slots.get(id)?.provider;
      if (!(provider instanceof SimulatorProvider)) {
        throw new Error(`no simulator with id "${id}" in the test config`);
      }
      return provider;
    },
    logText,
    logLines: () =>
      logText()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    send: (body, headers = {}) =>
      Promise.resolve(
        app.request('/v1/messages', {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${API_KEY}`,
            'Content-Type': 'application/json',
            ...headers,
          },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      ),
    startDraining: () => {
      draining = true;
    },
    async close() {
      await gateway.close();
      if (options.dataDir === undefined) {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Returns a TCP port on 127.0.0.1 that was free a moment ago, for configs whose port must be 1 to
 * 65535. Another process may take it before the caller binds it, which is unlikely in a test run.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Resolves once `provider` is called; install it before the request. Tests that advance fake time
 * while a message is in flight await it first, because the store commits the attempt start in
 * the check phase (`setImmediate`). So the provider is called only after a real turn of the event
 * loop, and such tests leave `setImmediate` real.
 */
export async function providerCalled(provider: SimulatorProvider): Promise<void> {
  const send = vi.spyOn(provider, 'send');
  while (send.mock.calls.length === 0) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}
