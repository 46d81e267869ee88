import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { SqliteStore, type IdempotencyClaimRequest } from '../../src/store/index.js';

let directory: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'sms-relay-keys-'));
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

const claim: IdempotencyClaimRequest = {
  principal: 'alerting',
  key: 'key-1',
  fingerprint: 'f1',
  messageId: 'msg-1',
  now: 1_000,
  expiresAt: 2_000,
};

describe('idempotency keys across a restart', () => {
  it('reports an unfinished key as interrupted', async () => {
    const path = join(directory, 'store.db');
    const before = new SqliteStore(path);
    await before.claimIdempotencyKey(claim);
    await before.close();

    const after = new SqliteStore(path);
    const found = await after.claimIdempotencyKey({ ...claim, messageId: 'msg-2', now: 1_500 });
    await after.close();

    expect(found).toEqual({ kind: 'in_progress', messageId: 'msg-1', interrupted: true });
  });

  it('replays a completed key after a restart', async () => {
    const path = join(directory, 'store.db');
    const response = { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
    const before = new SqliteStore(path);
    await before.claimIdempotencyKey(claim);
    await before.completeIdempotencyKey('alerting', 'key-1', response);
    await before.close();

    const after = new SqliteStore(path);
    const found = await after.claimIdempotencyKey({ ...claim, now: 1_500 });
    await after.close();

    expect(found).toEqual({ kind: 'completed', messageId: 'msg-1', response });
  });
});
