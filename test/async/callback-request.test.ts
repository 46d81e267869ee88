import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { postCallback } from '../../src/dispatch/callback-request.js';
import type { CallbackDelivery } from '../../src/store/index.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

function delivery(url: string): CallbackDelivery {
  return {
    eventId: 'msg-1:1',
    messageId: 'msg-1',
    principal: 'ops',
    url,
    format: 'json',
    to: '+14155550100',
    from: null,
    status: 'sent',
    code: null,
    provider: 'sim-a',
    providerMessageId: 'p-1',
    possibleDuplicate: false,
    reference: null,
    changedAt: 0,
    attempts: 1,
  };
}

const content = { body: Buffer.from('{}'), headers: { 'Content-Type': 'application/json' } };
const options = { timeoutMs: 2000, now: () => Date.now(), signal: new AbortController().signal };

/** Returns a loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('postCallback errors', () => {
  it('names the credentials without the URL', async () => {
    const result = await postCallback(
      delivery('http://ops:hunter2@127.0.0.1:9/status'),
      content,
      options,
    );

    expect(result.ok).toBe(false);
    const error = result.ok ? '' : result.error;
    expect(error).toContain('credentials');
    expect(error).not.toContain('hunter2');
    expect(error).not.toContain('127.0.0.1');
  });

  it('names the error code of a refused connection', async () => {
    const port = await closedPort();
    const result = await postCallback(delivery(`http://127.0.0.1:${port}/`), content, options);

    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.error).toBe('request failed: ECONNREFUSED');
  });
});
