import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  createTestGateway,
  gatewayToml,
  providerCalled,
  type TestGateway,
} from '../helpers/gateway.js';

const RECIPIENT = '+14155550100';
const BODY = 'db-1 disk 97% full, page 4711';
const message = { to: RECIPIENT, body: BODY };

let current: TestGateway | undefined;

afterEach(async () => {
  vi.useRealTimers();
  await current?.close();
  current = undefined;
});

/** Starts a gateway whose providers both fail, with `errorLog` as the `[escalation.error_log]` body. */
function startFailing(errorLog = ''): TestGateway {
  current = createTestGateway(gatewayToml({ extra: `[escalation.error_log]\n${errorLog}` }));
  current.simulator('sim-a').simulate({ mode: 'transient' });
  current.simulator('sim-b').simulate({ mode: 'transient' });
  return current;
}

function logPath(relay: TestGateway, name = 'escalations.jsonl'): string {
  return join(relay.dataDir, name);
}

function readLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('error log', () => {
  it('writes one line per failed message', async () => {
    const relay = startFailing();
    const first = (await (await relay.send(message)).json()) as Record<string, unknown>;
    const second = (await (await relay.send(message)).json()) as Record<string, unknown>;
    await relay.gateway.escalator.flush();

    const lines = readLines(logPath(relay));
    expect(lines).toHaveLength(2);
    expect(lines[0]?.['message_id']).toBe(first['id']);
    expect(lines[1]?.['message_id']).toBe(second['id']);
  });

  it('appends to an existing file', async () => {
    const relay = startFailing();
    writeFileSync(logPath(relay), '{"type":"earlier"}\n', { mode: 0o600 });
    await relay.send(message);
    await relay.gateway.escalator.flush();

    const lines = readLines(logPath(relay));
    expect(lines).toHaveLength(2);
    expect(lines[0]?.['type']).toBe('earlier');
    expect(lines[1]?.['type']).toBe('message_escalation');
  });

  it('writes nothing for a sent message', async () => {
    const relay = startFailing();
    relay.simulator('sim-b').simulate({ mode: 'ok' });
    const response = await relay.send(message);
    await relay.gateway.escalator.flush();
    expect(response.status).toBe(200);
    expect(() => statSync(logPath(relay))).toThrow(/ENOENT/);
  });

  it('creates the file with mode 0600', async () => {
    const relay = startFailing();
    await relay.send(message);
    await relay.gateway.escalator.flush();
    expect(statSync(logPath(relay)).mode & 0o777).toBe(0o600);
  });

  it('records the failure', async () => {
    const relay = startFailing();
    const response = await relay.send(
      { ...message, reference: 'incident-42' },
      {
        'X-Request-Id': 'req-escalated',
      },
    );
    const problem = (await response.json()) as Record<string, unknown>;
    await relay.gateway.escalator.flush();

    const [line] = readLines(logPath(relay));
    expect(line?.['type']).toBe('message_escalation');
    expect(line?.['reason']).toBe('all_providers_failed');
    expect(line?.['route']).toBe('default');
    expect(line?.['request_id']).toBe('req-escalated');
    expect(line?.['reference']).toBe('incident-42');
    expect(line?.['body']).toBe(BODY);
    expect(line?.['attempts']).toEqual(problem['attempts']);
    expect(Number.isNaN(Date.parse(String(line?.['at'])))).toBe(false);
  });

  it('masks the recipient by default', async () => {
    const relay = startFailing();
    await relay.send(message);
    await relay.gateway.escalator.flush();

    const text = readFileSync(logPath(relay), 'utf8');
    expect(readLines(logPath(relay))[0]?.['recipient']).toBe('+1415***0100');
    expect(text).not.toContain('4155550100');
  });

  it('keeps the full recipient when configured', async () => {
    const relay = startFailing('include_full_recipient = true');
    await relay.send(message);
    await relay.gateway.escalator.flush();
    expect(readLines(logPath(relay))[0]?.['recipient']).toBe(RECIPIENT);
  });

  it('writes to a configured path under data_dir', async () => {
    const relay = startFailing('path = "escalations/failed.jsonl"');
    await relay.send(message);
    await relay.gateway.escalator.flush();
    expect(readLines(logPath(relay, 'escalations/failed.jsonl'))).toHaveLength(1);
  });

  it('records an outcome the deadline left unknown', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    current = createTestGateway(
      gatewayToml({ defaultRoute: 'providers = ["sim-a"]\ndeadline_ms = 500' }),
    );
    const relay = current;
    relay.simulator('sim-a').simulate({ mode: 'hang' });
    const called = providerCalled(relay.simulator('sim-a'));
    const pending = relay.send(message);
    await called;
    await vi.advanceTimersByTimeAsync(500);
    const response = await pending;
    await relay.gateway.escalator.flush();
    expect(response.status).toBe(502);
    expect(readLines(logPath(relay))[0]?.['reason']).toBe('outcome_unknown');
  });
});

describe('error log failures', () => {
  it('answers 502 when the log cannot be written', async () => {
    const relay = startFailing();
    mkdirSync(logPath(relay));
    const response = await relay.send(message);
    const problem = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(502);
    expect(problem['escalated_to']).toEqual(['error_log']);
  });

  it('reports the failed channel', async () => {
    const relay = startFailing();
    mkdirSync(logPath(relay));
    await relay.send(message);
    await relay.gateway.escalator.flush();

    expect(relay.channelErrors).toHaveLength(1);
    expect(relay.channelErrors[0]?.channel).toBe('error_log');
    expect((relay.channelErrors[0]?.error as NodeJS.ErrnoException).code).toBe('EISDIR');
  });

  it('writes later lines once the path is usable', async () => {
    const relay = startFailing('path = "later/escalations.jsonl"');
    // A file where the directory should be makes the first write fail.
    writeFileSync(join(relay.dataDir, 'later'), '');
    await relay.send(message);
    await relay.gateway.escalator.flush();
    expect(relay.channelErrors).toHaveLength(1);

    rmSync(join(relay.dataDir, 'later'));
    await relay.send(message);
    await relay.gateway.escalator.flush();
    expect(readLines(logPath(relay, 'later/escalations.jsonl'))).toHaveLength(1);
  });

  it('answers before the line is written', async () => {
    const relay = startFailing('path = "escalations.fifo"');
    const fifo = logPath(relay, 'escalations.fifo');
    // Opening a FIFO for writing blocks until a reader opens it, so the write stays pending.
    execFileSync('mkfifo', ['-m', '600', fifo]);

    const response = await relay.send(message);
    const pendingWhenAnswered = relay.gateway.escalator.pending;
    const reader = createReadStream(fifo);
    const firstChunk = new Promise<string>((resolve) =>
      reader.once('data', (chunk) => resolve(chunk.toString())),
    );

    expect(response.status).toBe(502);
    expect(pendingWhenAnswered).toBe(1);
    expect(JSON.parse(await firstChunk)).toMatchObject({ reason: 'all_providers_failed' });
    await relay.gateway.escalator.flush();
    reader.destroy();
  });
});
