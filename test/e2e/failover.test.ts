import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { FakeProvider } from '../helpers/provider-fakes.js';
import { startTwilioFake, startVonageFake, twilioError } from '../helpers/provider-wire.js';
import {
  RELAY_API_KEY,
  relayEnv,
  relayToml,
  TWILIO_ID,
  VONAGE_ID,
  type MessageResponseBody,
} from '../helpers/relay.js';

interface JsonResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * Sends one request over its own connection (no keep-alive agent), so that no client socket
 * outlives the test.
 */
function request(method: string, url: string, body?: unknown): Promise<JsonResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      url,
      {
        method,
        agent: false,
        headers: {
          Authorization: `Bearer ${RELAY_API_KEY}`,
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** Returns a loopback port that was free a moment ago; the config schema takes no port 0. */
async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

interface ProviderStatus {
  readonly id: string;
  readonly state: string;
  readonly open_until: string | null;
  readonly counts: Record<string, number>;
  readonly last_error: {
    readonly outcome: string;
    readonly http_status: number | null;
    readonly provider_code: string | null;
  } | null;
}

const message = { to: '+15005550006', body: 'db-1 disk full' };

describe('failover from a failing twilio to vonage', () => {
  let twilio: FakeProvider;
  let vonage: FakeProvider;
  let server: RunningServer;
  let dataDir: string;
  const logChunks: string[] = [];
  const sent: MessageResponseBody[] = [];
  let twilioCallsWhileOpen = 0;
  let healthBefore: JsonResponse | undefined;

  beforeAll(async () => {
    twilio = await startTwilioFake();
    vonage = await startVonageFake();
    dataDir = mkdtempSync(join(tmpdir(), 'sms-relay-e2e-'));
    // One attempt per message and three failures to open, so three failed messages open it.
    const toml = relayToml({
      twilioUrl: twilio.url,
      vonageUrl: vonage.url,
      twilio: {
        retry: { max_attempts: 1 },
        breaker: { failure_threshold: 3, open_duration_ms: 60_000 },
      },
    });
    const env = relayEnv({ PORT: String(await freePort()), SMS_RELAY_DATA_DIR: dataDir });
    const sink = new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        logChunks.push(chunk.toString());
        callback();
      },
    });
    const gateway = createGateway(parseConfig(toml, env, 'e2e config'), { random: () => 0 });
    server = await startServer(gateway, createLogger('info', sink));

    healthBefore = await request('GET', `${server.url}/health`);
    const first = await request('POST', `${server.url}/v1/messages`, message);
    sent.push(first.body as MessageResponseBody);
    twilio.respond = () => twilioError(503, 20503);
    for (let index = 0; index < 3; index += 1) {
      const failedOver = await request('POST', `${server.url}/v1/messages`, message);
      sent.push(failedOver.body as MessageResponseBody);
    }
    const before = twilio.requests.length;
    const whileOpen = await request('POST', `${server.url}/v1/messages`, message);
    sent.push(whileOpen.body as MessageResponseBody);
    twilioCallsWhileOpen = twilio.requests.length - before;
  });

  afterAll(async () => {
    await server?.shutdown();
    await twilio?.close();
    await vonage?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sends via twilio while it is healthy', () => {
    expect(sent[0]?.status).toBe('sent');
    expect(sent[0]?.provider).toBe(TWILIO_ID);
  });

  it('sends every message via vonage once twilio fails', () => {
    expect(sent.slice(1).map((body) => body.provider)).toEqual(Array(4).fill(VONAGE_ID));
    expect(vonage.requests).toHaveLength(4);
  });

  it('stops calling twilio once its breaker is open', () => {
    expect(twilio.requests).toHaveLength(4);
    expect(twilioCallsWhileOpen).toBe(0);
    expect(sent[4]?.attempts?.map((a) => a.provider)).toEqual([VONAGE_ID]);
  });

  it('shows twilio open with its counts and last error', async () => {
    const response = await request('GET', `${server.url}/v1/providers`);
    const providers = response.body['providers'] as ProviderStatus[];
    const twilioStatus = providers.find((provider) => provider.id === TWILIO_ID);

    expect(response.status).toBe(200);
    expect(twilioStatus?.state).toBe('open');
    expect(twilioStatus?.open_until).not.toBeNull();
    expect(twilioStatus?.counts['sent']).toBe(1);
    expect(twilioStatus?.counts['transient']).toBe(3);
    expect(twilioStatus?.last_error?.outcome).toBe('transient');
    expect(twilioStatus?.last_error?.http_status).toBe(503);
    expect(twilioStatus?.last_error?.provider_code).toBe('20503');
  });

  it('shows vonage closed with its sent count', async () => {
    const response = await request('GET', `${server.url}/v1/providers`);
    const providers = response.body['providers'] as ProviderStatus[];
    const vonageStatus = providers.find((provider) => provider.id === VONAGE_ID);

    expect(vonageStatus?.state).toBe('closed');
    expect(vonageStatus?.counts['sent']).toBe(4);
    expect(vonageStatus?.last_error).toBeNull();
  });

  it('reported health as ok before twilio failed', () => {
    expect(healthBefore?.status).toBe(200);
    expect(healthBefore?.body['status']).toBe('ok');
  });

  it('reports health as degraded', async () => {
    const response = await request('GET', `${server.url}/health`);

    expect(response.status).toBe(200);
    expect(response.body['status']).toBe('degraded');
  });

  it('keeps no connection to twilio open between messages', () => {
    expect(twilio.openConnections()).toBe(0);
  });

  it('logs the breaker opening', () => {
    const lines = logChunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const opened = lines.filter((line) => line['msg'] === 'breaker open');

    expect(opened).toHaveLength(1);
    expect(opened[0]?.['provider']).toBe(TWILIO_ID);
  });
});
