import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Loopback fakes of the Twilio Messages API and the Vonage SMS API for the benchmarks. They speak
 * the same wire formats as the test helpers (form POST to `Messages.json` with Basic credentials,
 * JSON POST to `/sms/json`), but keep only what a benchmark counts, so that a fake costs little
 * CPU under load.
 */

export const twilioAccount = {
  accountSid: `AC${'0'.repeat(32)}`,
  authToken: 'bench-twilio-auth-token-0001',
  from: '+15005550006',
} as const;

export const vonageAccount = {
  apiKey: 'benchkey01',
  apiSecret: 'bench-vonage-secret-0001',
  from: 'SMSRelay',
} as const;

export const twilioMessagesPath = `/2010-04-01/Accounts/${twilioAccount.accountSid}/Messages.json`;
export const vonageSmsPath = '/sms/json';

/** Marker that the drill puts in each message body so that the fakes can count deliveries. */
const REFERENCE_PATTERN = /ref=([A-Za-z0-9-]+)/;

export type FakeMode = 'ok' | 'hang';
export type FakeWire = 'twilio' | 'vonage';

/** One create-message request that a fake received in full. */
export interface Delivery {
  /** The `ref=` marker from the message body, or undefined when the body has none. */
  readonly reference: string | undefined;
  /** `performance.now()` when the request arrived. */
  readonly arrivedAt: number;
  /** Whether the fake accepted the message (false while hanging, when it never responds). */
  readonly accepted: boolean;
}

export interface BenchFake {
  readonly wire: FakeWire;
  /** Base URL, `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Full URL of the send call. */
  readonly sendUrl: string;
  /** Every create-message request received, when `recordDeliveries` is on. */
  readonly deliveries: Delivery[];
  /** Number of create-message requests received. */
  received: number;
  /** `ok` accepts every message after `latencyMs`; `hang` reads the request and never responds. */
  mode: FakeMode;
  latencyMs: number;
  recordDeliveries: boolean;
  close(): Promise<void>;
}

/** Starts a fake provider of type `wire` on 127.0.0.1 that accepts messages after `latencyMs`. */
export async function startBenchFake(wire: FakeWire, latencyMs: number): Promise<BenchFake> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const expectedPath = wire === 'twilio' ? twilioMessagesPath : vonageSmsPath;
  const expectedAuthorization =
    wire === 'twilio'
      ? basicAuth(twilioAccount.accountSid, twilioAccount.authToken)
      : basicAuth(vonageAccount.apiKey, vonageAccount.apiSecret);

  const server = http.createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      if (incoming.method !== 'POST' || incoming.url !== expectedPath) {
        sendJson(outgoing, 404, {
          message: `no such endpoint: ${incoming.method} ${incoming.url}`,
        });
        return;
      }
      if (incoming.headers['authorization'] !== expectedAuthorization) {
        sendJson(outgoing, 401, { code: 20003, message: 'Authenticate', status: 401 });
        return;
      }

      const body = Buffer.concat(chunks).toString('utf8');
      const index = fake.received;
      fake.received += 1;
      const accepted = fake.mode === 'ok';
      if (fake.recordDeliveries) {
        fake.deliveries.push({
          reference: REFERENCE_PATTERN.exec(decodeForm(wire, body))?.[1],
          arrivedAt: performance.now(),
          accepted,
        });
      }
      if (!accepted) {
        return;
      }

      const reply = (): void => {
        if (outgoing.destroyed) {
          return;
        }
        if (wire === 'twilio') {
          sendJson(outgoing, 201, twilioCreated(body, index));
        } else {
          sendJson(outgoing, 200, vonageAccepted(body, index));
        }
      };
      if (fake.latencyMs <= 0) {
        reply();
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        reply();
      }, fake.latencyMs);
      timers.add(timer);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const fake: BenchFake = {
    wire,
    url,
    sendUrl: url + expectedPath,
    deliveries: [],
    received: 0,
    mode: 'ok',
    latencyMs,
    recordDeliveries: false,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) {
          clearTimeout(timer);
        }
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => resolve());
      }),
  };
  return fake;
}

/** Returns the Basic authorization header value for `user` and `password`. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Returns the message text of a Twilio form body or a Vonage JSON body. */
function decodeForm(wire: FakeWire, body: string): string {
  if (wire === 'twilio') {
    return new URLSearchParams(body).get('Body') ?? '';
  }
  try {
    const parsed = JSON.parse(body) as { text?: unknown };
    return typeof parsed.text === 'string' ? parsed.text : '';
  } catch {
    return '';
  }
}

function twilioCreated(body: string, index: number): Record<string, unknown> {
  const form = new URLSearchParams(body);
  return {
    sid: `SM${index.toString(16).padStart(32, '0')}`,
    account_sid: twilioAccount.accountSid,
    to: form.get('To'),
    from: form.get('From'),
    status: 'queued',
    direction: 'outbound-api',
    api_version: '2010-04-01',
    num_segments: '1',
  };
}

function vonageAccepted(body: string, index: number): Record<string, unknown> {
  let to = '';
  try {
    to = String((JSON.parse(body) as { to?: unknown }).to ?? '');
  } catch {
    // An unreadable body is still accepted, because the benchmark only counts requests.
  }
  return {
    'message-count': '1',
    messages: [
      {
        to,
        'message-id': `0C${index.toString(16).toUpperCase().padStart(14, '0')}`,
        status: '0',
        'remaining-balance': '15.53590000',
        'message-price': '0.03330000',
        network: '23410',
      },
    ],
  };
}

function sendJson(outgoing: http.ServerResponse, status: number, body: unknown): void {
  outgoing.writeHead(status, { 'Content-Type': 'application/json' });
  outgoing.end(JSON.stringify(body));
}
