import type { Database } from 'better-sqlite3';

import type { DeliveryCheck, MessageStatus, ResendRequest, UndeliveredMessage } from '../types.js';
import { attemptColumns, toAttempt, type AttemptRow } from './rows.js';

interface UndeliveredRow {
  request_id: string;
  route: string;
  recipient: string;
  body: string;
  reference: string | null;
}

interface CheckRow {
  id: string;
  route: string;
  status: MessageStatus;
  code: string | null;
  provider: string | null;
  attempt: number | null;
  used_providers: string;
  expires_at: number | null;
}

/**
 * The delivery checks of messages (`messages.delivery_check_at`) and the resends they lead to.
 * Every method expects to run inside the caller's transaction.
 */
export class DeliveryCheckTable {
  readonly #statements: ReturnType<typeof prepare>;

  constructor(db: Database) {
    this.#statements = prepare(db);
  }

  listDue(now: number, limit: number): DeliveryCheck[] {
    return this.#statements.selectDue.all({ now, limit }).map((row) => ({
      id: row.id,
      route: row.route,
      status: row.status,
      code: row.code,
      provider: row.provider,
      attempt: row.attempt,
      usedProviders: JSON.parse(row.used_providers) as string[],
      expiresAt: row.expires_at,
    }));
  }

  resend(request: ResendRequest): boolean {
    const statements = this.#statements;
    const queued = statements.queueForResend.run({
      id: request.id,
      expected_status: request.expectedStatus,
      code: request.code,
      at: request.at,
      expires_at: request.expiresAt,
    });
    if (queued.changes === 0) {
      return false;
    }

    statements.supersede.run({ id: request.id, number: request.attempt });
    statements.insertStatus.run({ id: request.id, code: request.code, at: request.at });
    return true;
  }

  clear(id: string): void {
    this.#statements.clear.run({ id });
  }

  claimUndelivered(id: string, expectedStatus: MessageStatus): UndeliveredMessage | undefined {
    const statements = this.#statements;
    const claimed = statements.claim.run({ id, expected_status: expectedStatus });
    const row = claimed.changes === 0 ? undefined : statements.selectUndelivered.get({ id });
    if (row === undefined) {
      return undefined;
    }
    return {
      id,
      requestId: row.request_id,
      route: row.route,
      to: row.recipient,
      body: row.body,
      reference: row.reference,
      attempts: statements.selectAttempts.all({ id }).map(toAttempt),
    };
  }
}

function prepare(db: Database) {
  return {
    selectDue: db.prepare<[{ now: number; limit: number }], CheckRow>(`SELECT m.id, m.route,
      m.status, m.code, m.provider, m.expires_at,
      (SELECT a.number FROM attempts a WHERE a.message_id = m.id AND a.provider = m.provider
        AND a.provider_message_id = m.provider_message_id AND a.superseded = 0
        ORDER BY a.number DESC LIMIT 1) AS attempt,
      (SELECT json_group_array(DISTINCT a.provider) FROM attempts a
        WHERE a.message_id = m.id AND a.outcome IN ('sent', 'ambiguous')) AS used_providers
      FROM messages m WHERE m.delivery_check_at <= @now
      ORDER BY m.delivery_check_at LIMIT @limit`),
    queueForResend: db.prepare(`UPDATE messages SET status = 'queued', code = @code,
      next_attempt_at = @at, updated_at = @at, possible_duplicate = 1, delivery_check_at = NULL,
      expires_at = COALESCE(expires_at, @expires_at)
      WHERE id = @id AND status = @expected_status AND delivery_check_at IS NOT NULL`),
    supersede: db.prepare(
      'UPDATE attempts SET superseded = 1 WHERE message_id = @id AND number = @number',
    ),
    insertStatus: db.prepare(`INSERT INTO status_changes (message_id, seq, status, code, at)
      VALUES (@id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM status_changes WHERE message_id = @id),
      'queued', @code, @at)`),
    clear: db.prepare('UPDATE messages SET delivery_check_at = NULL WHERE id = @id'),
    claim: db.prepare(`UPDATE messages SET delivery_check_at = NULL
      WHERE id = @id AND status = @expected_status AND delivery_check_at IS NOT NULL`),
    selectUndelivered: db.prepare<[{ id: string }], UndeliveredRow>(
      'SELECT request_id, route, recipient, body, reference FROM messages WHERE id = @id',
    ),
    selectAttempts: db.prepare<[{ id: string }], AttemptRow>(
      `SELECT ${attemptColumns} FROM attempts WHERE message_id = @id ORDER BY number`,
    ),
  };
}
