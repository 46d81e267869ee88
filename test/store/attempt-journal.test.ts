import { join } from 'node:path';

import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import type { FakeProvider } from '../helpers/provider-fakes.js';
import {
  startTwilioFake,
  startVonageFake,
  twilioCreated,
  twilioSid,
} from '../helpers/provider-wire.js';
import { relayToml, startRelay, type Relay } from '../helpers/relay.js';

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

/** Reads the store file through a second connection, as another process would see it. */
function readStore<T>(dataDir: string, sql: string): T[] {
  const db = new BetterSqlite3(join(dataDir, 'sms-relay.db'), { readonly: true });
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
});
