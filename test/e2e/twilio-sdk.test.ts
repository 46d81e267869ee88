import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/gateway.js';
import type { FakeProvider } from '../helpers/provider-fakes.js';
import {
  sentForm,
  startTwilioFake,
  startVonageFake,
  twilioAccount,
  twilioCreated,
  twilioError,
  twilioSid,
} from '../helpers/provider-wire.js';
import { RELAY_API_KEY, relayEnv, relayToml } from '../helpers/relay.js';

/** The Account SID that the application uses with the gateway; not the gateway's Twilio account. */
const CLIENT_ACCOUNT_SID = `AC${'5e'.repeat(16)}`;
const RECIPIENT = '+15005550006';
const BODY = 'db-1 disk 97% full';

type RequestOptions = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0];

/**
 * The twilio SDK's own HTTP client, with the origin of every request replaced by the gateway's.
 * This is the custom `httpClient` hook that twilio-node documents; its `edge` and `region`
 * options only change host names under twilio.com.
 */
class GatewayRequestClient extends twilio.RequestClient {
  readonly #baseUrl: string;
  /** Path and query of every request, in order. */
  readonly paths: string[] = [];

  constructor(baseUrl: string) {
    super({ keepAlive: false });
    this.#baseUrl = baseUrl;
  }

  override request<TData>(options: RequestOptions & { data?: TData }) {
    const uri = new URL(options.uri);
    this.paths.push(`${uri.pathname}${uri.search}`);
    return super.request<TData>({
      ...options,
      uri: `${this.#baseUrl}${uri.pathname}${uri.search}`,
    });
  }
}

let twilioUpstream: FakeProvider;
let vonageUpstream: FakeProvider;
let server: RunningServer;
let dataDir: string;
let client: twilio.Twilio;
let httpClient: GatewayRequestClient;

beforeAll(async () => {
  twilioUpstream = await startTwilioFake();
  vonageUpstream = await startVonageFake();
  dataDir = mkdtempSync(join(tmpdir(), 'sms-relay-twilio-sdk-'));
  const toml = relayToml({
    twilioUrl: twilioUpstream.url,
    vonageUrl: vonageUpstream.url,
    twilio: { retry: { max_attempts: 1 }, breaker: { failure_threshold: 100 } },
  }).replace(
    'key = "${RELAY_API_KEY}"',
    `key = "\${RELAY_API_KEY}"\naccount_sid = "${CLIENT_ACCOUNT_SID}"`,
  );
  const env = relayEnv({ PORT: String(await freePort()), SMS_RELAY_DATA_DIR: dataDir });
  const silent = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const gateway = createGateway(parseConfig(toml, env, 'twilio sdk config'), { random: () => 0 });
  server = await startServer(gateway, createLogger('info', silent));
  httpClient = new GatewayRequestClient(server.url);
  client = twilio(CLIENT_ACCOUNT_SID, RELAY_API_KEY, { httpClient });
});

afterAll(async () => {
  await server?.shutdown();
  await twilioUpstream?.close();
  await vonageUpstream?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  twilioUpstream.respond = (request, index) => twilioCreated(request, twilioSid(index));
});

describe('twilio SDK against the gateway', () => {
  it('creates a message as a MessageInstance', async () => {
    const message = await client.messages.create({
      to: RECIPIENT,
      from: '+15005550001',
      body: BODY,
    });

    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message.accountSid).toBe(CLIENT_ACCOUNT_SID);
    expect(message.status).toBe('sent');
    expect(message.to).toBe(RECIPIENT);
    expect(message.from).toBe('+15005550001');
    expect(message.body).toBe(BODY);
    expect(message.numSegments).toBe('1');
    expect(message.numMedia).toBe('0');
    expect(message.direction).toBe('outbound-api');
    expect(message.apiVersion).toBe('2010-04-01');
    expect(message.errorCode).toBeNull();
    expect(message.price).toBeNull();
  });

  it('parses the dates into Date objects', async () => {
    const before = Date.now();
    const message = await client.messages.create({
      to: RECIPIENT,
      from: '+15005550001',
      body: BODY,
    });

    expect(message.dateCreated).toBeInstanceOf(Date);
    expect(message.dateUpdated).toBeInstanceOf(Date);
    expect(message.dateSent).toBeInstanceOf(Date);
    // RFC 2822 has whole seconds.
    expect(message.dateCreated.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(message.dateCreated.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it("sends through the gateway's Twilio provider", async () => {
    const before = twilioUpstream.requests.length;
    await client.messages.create({ to: RECIPIENT, from: '+15005550001', body: BODY });

    expect(twilioUpstream.requests).toHaveLength(before + 1);
    const form = sentForm(twilioUpstream, before);
    expect(form.get('To')).toBe(RECIPIENT);
    expect(form.get('Body')).toBe(BODY);
    expect(twilioUpstream.requests[before]?.path).toContain(twilioAccount.accountSid);
  });

  it('fetches the message it created', async () => {
    const created = await client.messages.create({
      to: RECIPIENT,
      from: '+15005550001',
      body: BODY,
    });
    const fetched = await client.messages(created.sid).fetch();

    expect(fetched.sid).toBe(created.sid);
    expect(fetched.status).toBe('sent');
    expect(fetched.dateCreated.getTime()).toBe(created.dateCreated.getTime());
    expect(fetched.uri).toBe(created.uri);
  });

  it("sends from the provider's number with a Messaging Service SID", async () => {
    const message = await client.messages.create({
      to: RECIPIENT,
      messagingServiceSid: `MG${'0'.repeat(32)}`,
      body: BODY,
    });
    expect(message.status).toBe('sent');
    expect(message.from).toBe(twilioAccount.from);
  });

  it('lists messages across pages', async () => {
    for (let index = 0; index < 3; index += 1) {
      await client.messages.create({ to: RECIPIENT, from: '+15005550001', body: `list ${index}` });
    }
    const before = httpClient.paths.length;
    const listed = await client.messages.list({ pageSize: 2, limit: 3 });
    const pages = httpClient.paths.slice(before);

    // Newest first; messages created in the same millisecond may come in either order.
    expect(listed.map((message) => message.body).sort()).toEqual(['list 0', 'list 1', 'list 2']);
    expect(listed.every((message) => message.dateCreated instanceof Date)).toBe(true);
    expect(pages).toHaveLength(2);
    expect(pages[1]).toMatch(/[?&]PageToken=[\w-]+/);
  });

  it('fails over to vonage behind the endpoint', async () => {
    twilioUpstream.respond = () => twilioError(503, 20503);
    const before = vonageUpstream.requests.length;
    const message = await client.messages.create({ to: RECIPIENT, from: 'SmsRelay', body: BODY });

    expect(message.status).toBe('sent');
    expect(message.from).toBe('SmsRelay');
    expect(vonageUpstream.requests).toHaveLength(before + 1);
  });
});

describe('twilio SDK errors', () => {
  it('rejects an invalid To with RestException 21211', async () => {
    const sending = client.messages.create({ to: '4155550100', from: '+15005550001', body: BODY });
    await expect(sending).rejects.toBeInstanceOf(twilio.RestException);
    await expect(sending).rejects.toMatchObject({
      status: 400,
      code: 21211,
      moreInfo: 'https://www.twilio.com/docs/errors/21211',
      details: { code: 'invalid_request' },
    });
  });

  it('rejects wrong credentials with 20003', async () => {
    const stranger = twilio(CLIENT_ACCOUNT_SID, 'not-the-key-0001', {
      httpClient: new GatewayRequestClient(server.url),
    });
    const sending = stranger.messages.create({ to: RECIPIENT, from: '+15005550001', body: BODY });
    await expect(sending).rejects.toMatchObject({ status: 401, code: 20003 });
  });

  it('rejects an unknown SID with 20404', async () => {
    const fetching = client.messages(`SM${'0'.repeat(32)}`).fetch();
    await expect(fetching).rejects.toMatchObject({ status: 404, code: 20404 });
  });

  it.each([
    ['a landline', 21614, 21614],
    ['a body over the limit', 21658, 21617],
    ['To equal to From', 21266, 400],
  ])('reports a provider rejection of %s as %i', async (_name, upstreamCode, code) => {
    twilioUpstream.respond = () => twilioError(400, upstreamCode);
    const before = vonageUpstream.requests.length;
    const sending = client.messages.create({ to: RECIPIENT, from: '+15005550001', body: BODY });

    await expect(sending).rejects.toMatchObject({ status: 400, code });
    expect(vonageUpstream.requests).toHaveLength(before);
  });
});

describe("plain HTTP in the shape of Twilio's curl example", () => {
  /** Sends what `curl -u SID:KEY --data-urlencode ...` sends, over its own connection. */
  function curlPost(path: string, form: string, credentials: string) {
    return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const request = http.request(
        `${server.url}${path}`,
        {
          method: 'POST',
          agent: false,
          headers: {
            Authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
            'User-Agent': 'curl/8.5.0',
            Accept: '*/*',
            'Content-Type': 'application/x-www-form-urlencoded',
            'Content-Length': String(Buffer.byteLength(form)),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
            }),
          );
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(form);
    });
  }

  it('creates a message', async () => {
    // curl --data-urlencode writes spaces as %20 and + as %2B.
    const form = 'Body=Hi%20there&From=%2B15005550001&To=%2B15005550006';
    const response = await curlPost(
      `/2010-04-01/Accounts/${CLIENT_ACCOUNT_SID}/Messages.json`,
      form,
      `${CLIENT_ACCOUNT_SID}:${RELAY_API_KEY}`,
    );

    expect(response.status).toBe(201);
    expect(response.body['status']).toBe('sent');
    expect(response.body['body']).toBe('Hi there');
    expect(response.body['to']).toBe(RECIPIENT);
  });
});
