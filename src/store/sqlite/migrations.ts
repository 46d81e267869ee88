import type { Database } from 'better-sqlite3';

/**
 * Schema changes in order. Entry `i` moves the schema from version `i` to `i + 1`; the version is
 * kept in SQLite's `user_version`. Append new entries, never edit a released one.
 */
const migrations: readonly string[] = [
  `
  CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    principal TEXT NOT NULL,
    request_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    route TEXT NOT NULL,
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    sender TEXT,
    reference TEXT,
    encoding TEXT NOT NULL,
    segments INTEGER NOT NULL,
    status TEXT NOT NULL,
    code TEXT,
    provider TEXT,
    provider_message_id TEXT,
    possible_duplicate INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER,
    callback_url TEXT
  );
  CREATE INDEX messages_by_principal ON messages (principal, created_at DESC, id DESC);
  CREATE INDEX messages_by_status ON messages (status, updated_at);

  CREATE TABLE status_changes (
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    code TEXT,
    at INTEGER NOT NULL,
    PRIMARY KEY (message_id, seq)
  );

  CREATE TABLE attempts (
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    provider TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    outcome TEXT,
    http_status INTEGER,
    provider_code TEXT,
    duration_ms INTEGER,
    PRIMARY KEY (message_id, number)
  );
  `,
  `
  CREATE TABLE idempotency_keys (
    principal TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    message_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    state TEXT NOT NULL,
    response_status INTEGER,
    response_headers TEXT,
    response_body TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (principal, key)
  );
  CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
  `,
  `
  ALTER TABLE messages ADD COLUMN next_attempt_at INTEGER;
  ALTER TABLE messages ADD COLUMN passes INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status = 'queued';
  `,
  `
  CREATE TABLE opt_outs (
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    provider TEXT NOT NULL,
    message_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (sender, recipient)
  );
  CREATE INDEX opt_outs_by_recipient ON opt_outs (recipient);
  `,
  // The callback outbox. The trigger enqueues one delivery per status change after the first
  // (written at creation) of a message with a callback_url, inside the transaction that inserts
  // the change, so no code path that writes a status change can skip it. It copies the message's
  // provider fields as they are at that change, because every writer updates `messages` before it
  // appends the change.
  `
  CREATE TABLE callback_deliveries (
    event_id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    code TEXT,
    provider TEXT,
    provider_message_id TEXT,
    possible_duplicate INTEGER NOT NULL,
    changed_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    finished_at INTEGER,
    UNIQUE (message_id, seq)
  );
  CREATE INDEX callback_deliveries_due ON callback_deliveries (next_attempt_at)
    WHERE state IN ('pending', 'sending');

  CREATE TRIGGER status_changes_enqueue_callback AFTER INSERT ON status_changes
  WHEN NEW.seq > 1
  BEGIN
    INSERT INTO callback_deliveries (event_id, message_id, seq, url, status, code, provider,
      provider_message_id, possible_duplicate, changed_at, next_attempt_at)
    SELECT NEW.message_id || ':' || NEW.seq, id, NEW.seq, callback_url, NEW.status, NEW.code,
      provider, provider_message_id, possible_duplicate, NEW.at, NEW.at
    FROM messages WHERE id = NEW.message_id AND callback_url IS NOT NULL;
  END;
  `,
  // The format of a message's status callbacks. Messages written before this version keep the
  // gateway's JSON format, which is what they were sent with.
  `
  ALTER TABLE messages ADD COLUMN callback_format TEXT NOT NULL DEFAULT 'json';
  `,
  `
  ALTER TABLE attempts ADD COLUMN provider_message_id TEXT;
  ALTER TABLE attempts ADD COLUMN delivery_status TEXT;
  ALTER TABLE attempts ADD COLUMN delivery_provider_code TEXT;
  ALTER TABLE attempts ADD COLUMN delivery_failure_class TEXT;
  ALTER TABLE attempts ADD COLUMN delivery_at INTEGER;
  CREATE INDEX attempts_by_provider_message_id ON attempts (provider_message_id)
    WHERE provider_message_id IS NOT NULL;

  ALTER TABLE status_changes ADD COLUMN provider_code TEXT;

  CREATE TABLE delivery_reports (
    report_key TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    providers TEXT NOT NULL,
    provider_message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    provider_status TEXT NOT NULL,
    provider_code TEXT,
    failure_class TEXT,
    received_at INTEGER NOT NULL,
    pending_until INTEGER,
    message_id TEXT REFERENCES messages (id) ON DELETE CASCADE,
    attempt_number INTEGER
  );
  CREATE INDEX delivery_reports_pending ON delivery_reports (provider_message_id)
    WHERE message_id IS NULL;
  CREATE INDEX delivery_reports_by_message ON delivery_reports (message_id);
  `,
  `
  ALTER TABLE attempts ADD COLUMN resend INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE attempts ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE messages ADD COLUMN delivery_check_at INTEGER;
  CREATE INDEX messages_delivery_check ON messages (delivery_check_at)
    WHERE delivery_check_at IS NOT NULL;
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = migrations.length;

/**
 * Brings the database to `SCHEMA_VERSION`, each step in its own transaction. Throws when the file
 * was written by a newer build, because this build would misread it.
 */
export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `the store's schema version is ${current}, newer than ${SCHEMA_VERSION} that this build knows; run a newer sms-relay or another data_dir`,
    );
  }

  for (let version = current; version < SCHEMA_VERSION; version += 1) {
    const step = db.transaction(() => {
      db.exec(migrations[version] ?? '');
      db.pragma(`user_version = ${version + 1}`);
    });
    step();
  }
}
