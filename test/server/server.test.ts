import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { startServer, type RunningServer } from '../../src/server.js';
import {
  API_KEY,
  createTestGateway,
  freePort,
  gatewayToml,
  providerCalled,
  type TestGateway,
} from '../helpers/gateway.js';

const message = JSON.stringify({ to: '+14155550100', body: 'db-1 disk 97% full' });

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

let current: { relay: TestGateway; running?: RunningServer } | undefined;

afterEach(async () => {
  vi.useRealTimers();
  await current?.running?.shutdown();
  await current?.relay.close();
  current = undefined;
});

async function startTestServer(
  toml = gatewayToml(),
): Promise<{ relay: TestGateway; running: RunningServer }> {
  const port = await freePort();
  const relay = createTestGateway(toml, { env: { PORT: String(port) }, logEvents: false });
  current = { relay };
  const running = await startServer(relay.gateway, relay.logger);
  current.running = running;
  return { relay, running };
}

function post(url: string, body: string, agent?: http.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${url}/v1/messages`,
      {
        method: 'POST',
        agent,
        headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('startServer', () => {
  it('listens on the configured port', async () => {
    const { relay, running } = await startTestServer();
    expect(running.url).toBe(`http://127.0.0.1:${relay.gateway.config.server.port}`);
    expect(running.port).toBe(relay.gateway.config.server.port);
  });

  it('logs one listening line with the address', async () => {
    const { relay, running } = await startTestServer();
    const lines = relay.logLines().filter((line) => line['msg'] === 'listening');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.['url']).toBe(running.url);
  });

  it('sends a message over HTTP', async () => {
    const { running } = await startTestServer();
    const reply = await post(running.url, message);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 'sent', provider: 'sim-a' });
  });

  it('rejects a body over 64 KiB sent in chunks', async () => {
    const { running } = await startTestServer();
    const reply = await new Promise<Reply>((resolve, reject) => {
      const request = http.request(
        `${running.url}/v1/messages`,
        {
          method: 'POST',
          headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
          );
        },
      );
      request.on('error', reject);
      // Without a Content-Length the body arrives chunked, so only the bytes read so far count.
      for (let i = 0; i < 5; i++) {
        request.write(`{"to":"+14155550100","body":"${'a'.repeat(20_000)}`);
      }
      request.end('"}');
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toMatchObject({ code: 'payload_too_large' });
  });

  it('logs a server error after listening', async () => {
    const { relay, running } = await startTestServer();
    const error = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' });
    running.server.emit('error', error);

    const line = relay.logLines().find((entry) => entry['msg'] === 'server error');
    expect(line?.['level']).toBe(50);
    expect((line?.['err'] as Record<string, unknown>)['code']).toBe('EMFILE');
  });

  it('rejects when the port is taken', async () => {
    const { relay } = await startTestServer();
    const second = createTestGateway(gatewayToml(), {
      env: { PORT: String(relay.gateway.config.server.port) },
      logEvents: false,
    });
    await expect(startServer(second.gateway, second.logger)).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
    await second.close();
  });
});

describe('draining', () => {
  it('answers 503 once shutdown has begun', async () => {
    current = { relay: createTestGateway(gatewayToml()) };
    const { relay } = current;
    relay.startDraining();
    const response = await relay.send(JSON.parse(message));
    const problem = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(503);
    expect(problem['code']).toBe('shutting_down');
    expect(response.headers.get('Retry-After')).toBe('1');
    expect(response.headers.get('Connection')).toBe('close');
  });

  it('fails /health once shutdown has begun', async () => {
    current = { relay: createTestGateway(gatewayToml()) };
    const { relay } = current;
    relay.startDraining();
    const response = await relay.app.request('/health');
    expect(response.status).toBe(503);
  });

  it('closes the connection of a message in flight', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    current = { relay: createTestGateway(gatewayToml()) };
    const { relay } = current;
    relay.simulator('sim-a').simulate({ latency_ms: 1000 });
    const called = providerCalled(relay.simulator('sim-a'));

    const pending = relay.send(JSON.parse(message));
    await called;
    await vi.advanceTimersByTimeAsync(500);
    relay.startDraining();
    await vi.advanceTimersByTimeAsync(500);
    const response = await pending;
    expect(response.status).toBe(200);
    expect(response.headers.get('Connection')).toBe('close');
  });
});

describe('shutdown', () => {
  it('waits for a message in flight', async () => {
    const { relay, running } = await startTestServer();
    relay.simulator('sim-a').simulate({ latency_ms: 300 });
    const reply = post(running.url, message);
    await vi.waitFor(() => expect(relay.gateway.dispatcher.inFlight).toBe(1));

    await running.shutdown();
    expect((await reply).status).toBe(200);
    expect(relay.simulator('sim-a').sentCount).toBe(1);
  });

  it('writes pending escalations before it resolves', async () => {
    const { relay, running } = await startTestServer();
    relay.simulator('sim-a').simulate({ mode: 'transient', latency_ms: 300 });
    relay.simulator('sim-b').simulate({ mode: 'transient' });
    const reply = post(running.url, message);
    await vi.waitFor(() => expect(relay.gateway.dispatcher.inFlight).toBe(1));

    await running.shutdown();
    const lines = readFileSync(join(relay.dataDir, 'escalations.jsonl'), 'utf8').trim().split('\n');
    expect((await reply).status).toBe(502);
    expect(lines).toHaveLength(1);
  });

  it('closes idle keep-alive connections', async () => {
    const { running } = await startTestServer();
    const agent = new http.Agent({ keepAlive: true });
    await post(running.url, message, agent);
    const [socket] = Object.values(agent.freeSockets).flat();
    expect(socket?.destroyed).toBe(false);
    const closed = new Promise<void>((resolve) => socket?.once('close', () => resolve()));

    await running.shutdown();
    await closed;
    expect(socket?.destroyed).toBe(true);
    agent.destroy();
  });

  it('returns the same promise when called twice', async () => {
    const { running } = await startTestServer();
    const first = running.shutdown();
    expect(running.shutdown()).toBe(first);
    await first;
  });

  it('logs stopped once', async () => {
    const { relay, running } = await startTestServer();
    await Promise.all([running.shutdown(), running.shutdown()]);
    expect(relay.logLines().filter((line) => line['msg'] === 'stopped')).toHaveLength(1);
  });

  it('abandons a hung message at the timeout', async () => {
    const toml = gatewayToml({
      defaultRoute: 'providers = ["sim-a"]\ndeadline_ms = 1000',
      extra: '[server]\nshutdown_timeout_ms = 100',
    });
    const { relay, running } = await startTestServer(toml);
    relay.simulator('sim-a').simulate({ mode: 'hang' });
    const reply = post(running.url, message);
    await vi.waitFor(() => expect(relay.gateway.dispatcher.inFlight).toBe(1));

    await running.shutdown();
    const line = relay.logLines().find((entry) => entry['level'] === 50);
    expect(line?.['msg']).toBe('shutdown timed out with messages still in flight');
    await expect(reply).rejects.toThrow(/socket hang up|ECONNRESET/);
  });
});
