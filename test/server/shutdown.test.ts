import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { API_KEY, freePort } from '../helpers/gateway.js';

const SHUTDOWN_TIMEOUT_MS = 10_000;

// One simulator that takes 2 s per message, so a message is in flight when SIGTERM arrives.
const slowGatewayToml = `
[server]
host = "127.0.0.1"
shutdown_timeout_ms = ${SHUTDOWN_TIMEOUT_MS}

[[api_keys]]
name = "alerting"
key = "${API_KEY}"

[[providers]]
id = "sim-a"
type = "simulator"
latency_ms = 2000

[routes.default]
providers = ["sim-a"]
`;

interface GatewayProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
  /** The JSON lines on stdout so far. */
  readonly logLines: () => Record<string, unknown>[];
  /** Resolves with the first log line whose `msg` is `msg`. */
  waitForLog(msg: string): Promise<Record<string, unknown>>;
}

const started: { child: ChildProcess; directory: string }[] = [];

afterAll(() => {
  for (const { child, directory } of started) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
    rmSync(directory, { recursive: true, force: true });
  }
});

/** Runs `src/main.ts` with `toml` as its config file, on a free loopback port. */
async function startGateway(toml: string): Promise<GatewayProcess> {
  const directory = mkdtempSync(join(tmpdir(), 'sms-relay-process-'));
  const configPath = join(directory, 'gateway.toml');
  writeFileSync(configPath, toml);
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', '--config', configPath],
    {
      env: { ...process.env, PORT: String(port), SMS_RELAY_DATA_DIR: join(directory, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  started.push({ child, directory });

  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close' comes after the child's stdout and stderr have ended, so every log line is read.
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const logLines = (): Record<string, unknown>[] =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  return {
    child,
    port,
    exited,
    stderr: () => stderr,
    logLines,
    async waitForLog(msg) {
      for (;;) {
        const line = logLines().find((entry) => entry['msg'] === msg);
        if (line) {
          return line;
        }
        if (child.exitCode !== null) {
          throw new Error(`the gateway exited before logging "${msg}": ${stderr}`);
        }
        await delay(20);
      }
    },
  };
}

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
}

function request(
  port: number,
  options: http.RequestOptions,
  body?: string,
): { reply: Promise<Reply>; socket: Promise<Socket> } {
  let onSocket: (socket: Socket) => void = () => undefined;
  const socket = new Promise<Socket>((resolve) => (onSocket = resolve));
  const reply = new Promise<Reply>((resolve, reject) => {
    const outgoing = http.request({ host: '127.0.0.1', port, ...options }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers }),
      );
    });
    outgoing.on('socket', onSocket);
    outgoing.on('error', reject);
    outgoing.end(body);
  });
  return { reply, socket };
}

function connect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('SIGTERM during a send', () => {
  it('drains, closes sockets and exits 0', async () => {
    const gateway = await startGateway(slowGatewayToml);
    await gateway.waitForLog('listening');

    // Client A: one request, then its socket waits idle in the agent's pool.
    const agentA = new http.Agent({ keepAlive: true });
    const clientA = request(gateway.port, { path: '/health', agent: agentA });
    expect((await clientA.reply).status).toBe(200);
    const socketA = await clientA.socket;
    const socketAClosed = new Promise<void>((resolve) => socketA.once('close', () => resolve()));

    // Client B: a message that the simulator holds for 2 s.
    const agentB = new http.Agent({ keepAlive: true });
    const clientB = request(
      gateway.port,
      {
        method: 'POST',
        path: '/v1/messages',
        agent: agentB,
        headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
      },
      JSON.stringify({ to: '+14155550100', body: 'db-1 disk 97% full' }),
    );
    // SIGTERM 0.5 s later, while the simulator still holds the message.
    await delay(500);
    gateway.child.kill('SIGTERM');
    await gateway.waitForLog('shutting down');

    await socketAClosed;
    expect(socketA.destroyed).toBe(true);
    expect(await connect(gateway.port)).toBe('ECONNREFUSED');

    const replyB = await clientB.reply;
    expect(replyB.status).toBe(200);
    expect(replyB.headers['connection']).toBe('close');
    expect(await gateway.exited).toBe(0);
    agentA.destroy();
    agentB.destroy();

    const lines = gateway.logLines();
    const sent = lines.filter((line) => line['msg'] === 'attempt sent');
    const stopping = lines.find((line) => line['msg'] === 'shutting down');
    const stopped = lines.find((line) => line['msg'] === 'stopped');
    expect(lines.filter((line) => line['msg'] === 'listening')).toHaveLength(1);
    expect(sent).toHaveLength(1);
    expect(stopping?.['in_flight']).toBe(1);
    expect(stopped).toBeDefined();
    expect(
      lines.some((line) => line['msg'] === 'shutdown timed out with messages still in flight'),
    ).toBe(false);
    // Measured on the gateway's own log timestamps: shutdown took well under its deadline.
    const shutdownMs =
      Date.parse(String(stopped?.['time'])) - Date.parse(String(stopping?.['time']));
    expect(shutdownMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS / 2);
  });

  it('exits 0 when idle', async () => {
    const gateway = await startGateway(slowGatewayToml);
    await gateway.waitForLog('listening');
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    expect(gateway.logLines().at(-1)?.['msg']).toBe('stopped');
  });
});

describe('invalid config', () => {
  const invalidToml = slowGatewayToml.replace('shutdown_timeout_ms', 'shutdown_timeuot_ms');
  let gateway: GatewayProcess;
  let exitCode: number | null;

  beforeAll(async () => {
    gateway = await startGateway(invalidToml);
    exitCode = await gateway.exited;
  });

  it('exits 78 before listening', () => {
    expect(exitCode).toBe(78);
    expect(gateway.logLines().some((line) => line['msg'] === 'listening')).toBe(false);
  });

  it('names the key', () => {
    expect(gateway.stderr()).toContain('server.shutdown_timeuot_ms');
    expect(gateway.stderr()).toContain('did you mean "shutdown_timeout_ms"');
  });

  it('prints no stack trace', () => {
    expect(gateway.stderr()).not.toMatch(/^\s+at /m);
  });
});
