import { join } from 'node:path';

import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import type { SqliteStore } from '../../src/store/index.js';
import type { FakeProvider } from '../helpers/provider-fakes.js';
import {
  startTwilioFake,
  startVonageFake,
  twilioCreated,
  twilioSid,
} from '../helpers/provider-wire.js';
import { relayToml, startRelay, type Relay } from '../helpers/relay.js';
import { walCommits } from '../helpers/wal.js';

interface AttemptRow {
  message_id: string;
  number: number;
  provider: string;
  outcome: string | null;
}

interface MessageRow {
  status: string;
}

let twilio: FakeProvider;
let vonage: FakeProvider;
let relay: Relay;

afterEach(async () => {
  await relay.close();
  await twilio.close();
  await vonage.close();
});

function storeFile(dataDir: string): string {
  return join(dataDir, 'sms-relay.db');
}

/** Reads the store file through a second connection, as another process would see it. */
function readStore<T>(dataDir: string, sql: string): T[] {
  const db = new BetterSqlite3(storeFile(dataDir), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

describe('attempt journal', () => {
  it('commits the message and attempt before the provider call', async () => {
    let seenAtProvider: { attempts: AttemptRow[]; messages: MessageRow[] } | undefined;
    twilio = await startTwilioFake((request) => {
      seenAtProvider = {
        attempts: readStore<AttemptRow>(relay.dataDir, 'SELECT * FROM attempts'),
        messages: readStore<MessageRow>(relay.dataDir, 'SELECT status FROM messages'),
      };
      return twilioCreated(request, twilioSid(1));
    });
    vonage = await startVonageFake();
    relay = startRelay(relayToml({ twilioUrl: twilio.url, vonageUrl: vonage.url }));

    const response = await relay.send({ to: '+15005550006', body: 'db-1 down' });

    expect(response.status).toBe(200);
    expect(seenAtProvider?.messages.map((row) => row.status)).toEqual(['sending']);
    expect(seenAtProvider?.attempts).toHaveLength(1);
    expect(seenAtProvider?.attempts[0]?.provider).toBe('twilio-main');
    expect(seenAtProvider?.attempts[0]?.outcome).toBeNull();
  });

  it('commits the outcome before the client is answered', async () => {
    twilio = await startTwilioFake();
    vonage = await startVonageFake();
    relay = startRelay(relayToml({ twilioUrl: twilio.url, vonageUrl: vonage.url }));

    const response = await relay.send({ to: '+15005550006', body: 'db-1 down' });
    const attempts = readStore<AttemptRow>(relay.dataDir, 'SELECT * FROM attempts');
    const messages = readStore<MessageRow>(relay.dataDir, 'SELECT status FROM messages');

    expect(response.status).toBe(200);
    expect(messages.map((row) => row.status)).toEqual(['sent']);
    expect(attempts.map((row) => row.outcome)).toEqual(['sent']);
  });

  it('commits a sent message twice', async () => {
    let commitsAtProvider: number | undefined;
    twilio = await startTwilioFake((request) => {
      commitsAtProvider = walCommits(storeFile(relay.dataDir));
      return twilioCreated(request, twilioSid(1));
    });
    vonage = await startVonageFake();
    relay = startRelay(relayToml({ twilioUrl: twilio.url, vonageUrl: vonage.url }));
    await relay.get('/v1/messages?limit=1');
    const before = walCommits(storeFile(relay.dataDir));

    const response = await relay.send({ to: '+15005550006', body: 'db-1 down' });
    const after = walCommits(storeFile(relay.dataDir));

    expect(response.status).toBe(200);
    expect(commitsAtProvider).toBeDefined();
    // The message with its first attempt start, then the attempt end with the end state.
    expect((commitsAtProvider ?? 0) - before).toBe(1);
    expect(after - (commitsAtProvider ?? 0)).toBe(1);
  });

  it('calls no provider when the message write fails', async () => {
    twilio = await startTwilioFake();
    vonage = await startVonageFake();
    relay = startRelay(relayToml({ twilioUrl: twilio.url, vonageUrl: vonage.url }));
    // A temporary trigger makes the message insert fail as a full disk would.
    const store = relay.gateway.store as SqliteStore;
    store.db.exec(`CREATE TEMP TRIGGER fail_message BEFORE INSERT ON messages
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);

    const response = await relay.send({ to: '+15005550006', body: 'db-1 down' });

    expect(response.status).toBe(500);
    expect(twilio.requests).toHaveLength(0);
    expect(vonage.requests).toHaveLength(0);
    expect(readStore<AttemptRow>(relay.dataDir, 'SELECT * FROM attempts')).toEqual([]);
  });

  it('answers 500 when the attempt end fails', async () => {
    twilio = await startTwilioFake();
    vonage = await startVonageFake();
    relay = startRelay(relayToml({ twilioUrl: twilio.url, vonageUrl: vonage.url }));
    const store = relay.gateway.store as SqliteStore;
    store.db.exec(`CREATE TEMP TRIGGER fail_attempt_end BEFORE UPDATE ON attempts
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);

    const response = await relay.send({ to: '+15005550006', body: 'db-1 down' });
    const body = await response.text();
    const attempts = readStore<AttemptRow>(relay.dataDir, 'SELECT * FROM attempts');

    expect(response.status).toBe(500);
    expect(body).not.toContain('disk is full');
    expect(twilio.requests).toHaveLength(1);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.outcome).toBeNull();
  });
});
