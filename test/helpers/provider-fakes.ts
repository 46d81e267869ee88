import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request as a fake provider received it. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** `performance.now()` when the whole request had arrived. */
  readonly arrivedAt: number;
}

/** What a fake sends back: an HTTP reply, or `hang`, which never responds. */
export type Reply = HttpReply | 'hang';

/** A status with a JSON body (a string body is sent as it is) and headers, after `delayMs`. */
export interface HttpReply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly delayMs?: number;
}

/** Chooses the reply to the request numbered `index` (0 for the first one). */
export type Responder = (request: ReceivedRequest, index: number) => Reply | Promise<Reply>;

export interface FakeProvider {
  /** Base URL, `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Indexes of requests whose client closed the connection before the fake responded. */
  readonly closedBeforeReply: number[];
  /** The current responder; tests replace it to change the responses to later requests. */
  respond: Responder;
  /** Number of client connections open now. */
  openConnections(): number;
  /** Resolves once `count` requests have arrived in total. */
  arrivals(count: number): Promise<void>;
  /** Resolves once the client closed the connection of the request numbered `index` unanswered. */
  clientClosed(index: number): Promise<void>;
  /** Resolves once no client connection is open. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on 127.0.0.1 that records every request and responds with what `guard`
 * returns (a protocol check, say), else with what `respond` returns. A delayed or hanging reply is
 * dropped when the client closes the connection first, and that request is listed in
 * `closedBeforeReply`.
 */
export async function startFakeProvider(
  respond: Responder,
  guard: (request: ReceivedRequest) => Reply | undefined = () => undefined,
): Promise<FakeProvider> {
  const requests: ReceivedRequest[] = [];
  const closedBeforeReply: number[] = [];
  const sockets = new Set<Socket>();
  const waiters: Array<() => void> = [];
  const timers = new Set<NodeJS.Timeout>();
  const notify = (): void => {
    for (const waiter of waiters.splice(0)) {
      waiter();
    }
  };

  const fake: FakeProvider = {
    url: '',
    requests,
    closedBeforeReply,
    respond,
    openConnections: () => sockets.size,
    arrivals: (count) => until(() => requests.length >= count, waiters),
    clientClosed: (index) => until(() => closedBeforeReply.includes(index), waiters),
    idle: () => until(() => sockets.size === 0, waiters),
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

  const server = http.createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const index = requests.length;
      const request: ReceivedRequest = {
        method: incoming.method ?? '',
        path: incoming.url ?? '',
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        arrivedAt: performance.now(),
      };
      requests.push(request);
      notify();

      let answered = false;
      outgoing.once('close', () => {
        if (!answered) {
          closedBeforeReply.push(index);
          notify();
        }
      });
      void Promise.resolve(guard(request) ?? fake.respond(request, index)).then((reply) => {
        if (reply === 'hang') {
          return;
        }
        const write = (): void => {
          if (outgoing.destroyed) {
            return;
          }
          answered = true;
          const isText = typeof reply.body === 'string';
          outgoing.writeHead(reply.status, {
            'Content-Type': isText ? 'text/plain' : 'application/json',
            ...reply.headers,
          });
          outgoing.end(isText ? reply.body : JSON.stringify(reply.body ?? {}));
        };
        if (!reply.delayMs) {
          write();
          return;
        }
        const timer = setTimeout(() => {
          timers.delete(timer);
          write();
        }, reply.delayMs);
        timers.add(timer);
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      notify();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, { url: `http://127.0.0.1:${port}` });
}

/** Resolves once `condition` holds, checking it now and after every change the fake notifies. */
function until(condition: () => boolean, waiters: Array<() => void>): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (condition()) {
        resolve();
      } else {
        waiters.push(check);
      }
    };
    check();
  });
}

/** Returns a promise that resolves after `ms` milliseconds of real time. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Returns the URL of a loopback port on which nothing listens (it was just freed). */
export async function closedLoopbackUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
