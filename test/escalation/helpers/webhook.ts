import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got, with the exact body bytes. */
export interface ReceivedRequest {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The receiver's reply: a status code (with headers), or `hang` to never reply. */
export type Reply =
  number | 'hang' | { readonly status: number; readonly headers: Record<string, string> };

/** An HTTP server on 127.0.0.1 that records webhook requests. */
export interface WebhookReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /**
   * Chooses the reply to the request with this index (0 for the first); default 200. A promise
   * holds the response until it resolves.
   */
  reply: (index: number) => Reply | Promise<Reply>;
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** Starts a webhook receiver on a free loopback port. */
export async function startWebhookReceiver(
  reply: (index: number) => Reply | Promise<Reply> = () => 200,
): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const hanging: ServerResponse[] = [];

  const receiver = {
    reply,
    requests,
    url: '',
    waitForRequests: (count: number) =>
      requests.length >= count
        ? Promise.resolve(requests)
        : new Promise<ReceivedRequest[]>((resolve) =>
            waiters.push({ count, resolve: () => resolve(requests) }),
          ),
    close: async () => {
      hanging.forEach((response) => response.destroy());
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const index = requests.length;
      requests.push({
        method: request.method ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
      });
      for (const waiter of waiters.filter((entry) => requests.length >= entry.count)) {
        waiter.resolve();
      }

      void Promise.resolve(receiver.reply(index)).then((answer) => {
        if (answer === 'hang') {
          hanging.push(response);
          return;
        }
        const { status, headers } =
          typeof answer === 'number' ? { status: answer, headers: {} } : answer;
        response.writeHead(status, { 'Content-Type': 'text/plain', ...headers }).end('ok');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}/hooks/sms-relay`;
  return receiver;
}

/**
 * Verifies a webhook request as a receiver would: the signature must be the HMAC-SHA256 of
 * `<timestamp>.<raw body>`, and the timestamp at most five minutes from `nowSeconds`. The same
 * code is the README's verification example.
 */
export function verifySignature(
  secret: string,
  headers: IncomingHttpHeaders,
  rawBody: Buffer,
  nowSeconds: number,
): boolean {
  const timestamp = String(headers['x-sms-relay-timestamp'] ?? '');
  const signature = String(headers['x-sms-relay-signature'] ?? '');
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) {
    return false;
  }
  const expected =
    'v1=' + createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
  return (
    signature.length === expected.length &&
    timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
  );
}
