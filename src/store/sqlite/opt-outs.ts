import type { Database, Statement } from 'better-sqlite3';

import type { OptOut } from '../types.js';

interface OptOutRow {
  sender: string;
  recipient: string;
  provider: string;
  message_id: string;
  created_at: number;
}

const columns = 'sender, recipient, provider, message_id, created_at';

/** The `opt_outs` table: (sender, recipient) pairs that providers reported as opted out. */
export class OptOutTable {
  readonly #insert;
  readonly #delete;
  /** Prepared lookups by number of senders, because every message runs one before it is sent. */
  readonly #findBySenderCount = new Map<number, Statement<unknown[], OptOutRow>>();

  constructor(private readonly db: Database) {
    this.#insert = db.prepare(`INSERT OR IGNORE INTO opt_outs (${columns})
      VALUES (@sender, @recipient, @provider, @message_id, @created_at)`);
    this.#delete = db.prepare(
      'DELETE FROM opt_outs WHERE sender = @sender AND recipient = @recipient',
    );
  }

  record(optOut: OptOut): void {
    this.#insert.run({
      sender: optOut.sender,
      recipient: optOut.recipient,
      provider: optOut.provider,
      message_id: optOut.messageId,
      created_at: optOut.createdAt,
    });
  }

  find(senders: readonly string[], recipient: string): OptOut | undefined {
    if (senders.length === 0) {
      return undefined;
    }
    const row = this.#findStatement(senders.length).get(recipient, ...senders);
    return row && toOptOut(row);
  }

  #findStatement(senderCount: number): Statement<unknown[], OptOutRow> {
    let statement = this.#findBySenderCount.get(senderCount);
    if (statement === undefined) {
      const placeholders = Array.from({ length: senderCount }, () => '?').join(', ');
      statement = this.db.prepare<unknown[], OptOutRow>(
        `SELECT ${columns} FROM opt_outs WHERE recipient = ? AND sender IN (${placeholders})
          ORDER BY created_at LIMIT 1`,
      );
      this.#findBySenderCount.set(senderCount, statement);
    }
    return statement;
  }

  list(filter: { recipient?: string; limit: number }): OptOut[] {
    const where = filter.recipient === undefined ? '' : 'WHERE recipient = @recipient';
    return this.db
      .prepare<Record<string, unknown>, OptOutRow>(
        `SELECT ${columns} FROM opt_outs ${where} ORDER BY created_at DESC LIMIT @limit`,
      )
      .all({
        limit: filter.limit,
        ...(filter.recipient === undefined ? {} : { recipient: filter.recipient }),
      })
      .map(toOptOut);
  }

  delete(sender: string, recipient: string): boolean {
    return this.#delete.run({ sender, recipient }).changes > 0;
  }
}

function toOptOut(row: OptOutRow): OptOut {
  return {
    sender: row.sender,
    recipient: row.recipient,
    provider: row.provider,
    messageId: row.message_id,
    createdAt: row.created_at,
  };
}
