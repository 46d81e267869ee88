import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { isProviderError, type ProviderError } from '../../providers/contract.js';

/** A request as the fake provider received it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Reply of the fake: a status with a body and headers, or `hang` to never respond. */
export type FakeReply =
  | { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> }
  | 'hang';

export interface FakeServer {
  /** Base URL, `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Resolves when the client closed the connection of a request that got no response. */
  readonly hungSocketClosed: Promise<void>;
  /** Resolves when the fake has read a whole request. */
  readonly requestReceived: Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on 127.0.0.1 that plays a provider API: it records every request and
 * responds with what `reply` returns. Object bodies are sent as JSON, strings as they are.
 */
export async function startFakeServer(
  reply: (request: RecordedRequest) => FakeReply,
): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let onHungSocketClosed = (): void => undefined;
  let onRequestReceived = (): void => undefined;
  const hungSocketClosed = new Promise<void>((resolve) => (onHungSocketClosed = resolve));
  const requestReceived = new Promise<void>((resolve) => (onRequestReceived = resolve));

  const server = http.createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const request: RecordedRequest = {
        method: incoming.method ?? '',
        path: incoming.url ?? '',
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      onRequestReceived();

      const fakeReply = reply(request);
      if (fakeReply === 'hang') {
        incoming.socket.once('close', () => onHungSocketClosed());
        return;
      }
      const isText = typeof fakeReply.body === 'string';
      const contentType = isText ? 'text/plain' : 'application/json';
      outgoing.writeHead(fakeReply.status, { 'Content-Type': contentType, ...fakeReply.headers });
      outgoing.end(isText ? fakeReply.body : JSON.stringify(fakeReply.body ?? {}));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    hungSocketClosed,
    requestReceived,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => resolve());
      }),
  };
}

/** Returns the URL of a loopback port on which nothing listens (it was just freed). */
export async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/**
 * Collects every text of an error that a log line could show: message, own enumerable fields and
 * the messages along its `cause` chain.
 */
export function loggableText(error: unknown): string {
  const texts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    texts.push(current.message, String(current), JSON.stringify(current));
    current = current.cause;
  }
  return texts.join('\n');
}

/** Awaits a send that must fail and returns its `ProviderError`. */
export async function providerErrorOf(sending: Promise<unknown>): Promise<ProviderError> {
  const outcome = await sending.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isProviderError(outcome)) {
    throw new Error(`expected a ProviderError, got ${String(outcome)}`);
  }
  return outcome;
}
