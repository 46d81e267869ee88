import type { Database } from 'better-sqlite3';

import type { ClaimedMessage, PruneReport, RecoveryReport } from '../types.js';
import type { DeliveryTable } from './delivery.js';
import { attemptColumns, toAttempt, type AttemptRow } from './rows.js';

interface QueuedRow {
  id: string;
  principal: string;
  request_id: string;
  route: string;
  recipient: string;
  body: string;
  sender: string | null;
  reference: string | null;
  encoding: string;
  expires_at: number;
  callback_url: string | null;
  passes: number;
}

/** The queue side of the `messages` table: claiming due messages, requeueing, recovery, pruning. */
export class QueueTable {
  readonly #selectDue;
  readonly #markSending;
  readonly #markClaimedExpired;
  readonly #insertStatus;
  readonly #selectAttempts;
  readonly #requeue;
  readonly #requeueClaimedExpired;
  readonly #selectSentAttempt;
  readonly #finishSent;

  constructor(
    private readonly db: Database,
    private readonly delivery: DeliveryTable,
  ) {
    this.#selectDue = db.prepare<[{ now: number; limit: number }], QueuedRow>(
      `SELECT id, principal, request_id, route, recipient, body, sender, reference, encoding,
        expires_at, callback_url, passes FROM messages
        WHERE status = 'queued' AND next_attempt_at <= @now
        ORDER BY next_attempt_at, created_at LIMIT @limit`,
    );
    this.#markSending = db.prepare(
      "UPDATE messages SET status = 'sending', next_attempt_at = NULL, updated_at = @at WHERE id = @id",
    );
    this.#markClaimedExpired = db.prepare(
      'UPDATE messages SET next_attempt_at = NULL, updated_at = @at WHERE id = @id',
    );
    this.#insertStatus = db.prepare(`INSERT INTO status_changes (message_id, seq, status, code, at)
      VALUES (@id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM status_changes WHERE message_id = @id),
      @status, @code, @at)`);
    this.#selectAttempts = db.prepare<[{ id: string }], AttemptRow>(
      `SELECT ${attemptColumns} FROM attempts WHERE message_id = @id ORDER BY number`,
    );
    this.#selectSentAttempt = db.prepare<
      [{ id: string }],
      { provider: string; provider_message_id: string | null }
    >(
      `SELECT provider, provider_message_id FROM attempts
        WHERE message_id = @id AND outcome = 'sent' AND superseded = 0
        ORDER BY number DESC LIMIT 1`,
    );
    this.#finishSent = db.prepare(`UPDATE messages SET status = 'sent', provider = @provider,
      provider_message_id = @provider_message_id,
      possible_duplicate = EXISTS (SELECT 1 FROM attempts
        WHERE message_id = @id AND outcome = 'ambiguous'),
      updated_at = @now WHERE id = @id`);
    this.#requeue = db.prepare(`UPDATE messages SET status = 'queued', passes = passes + 1,
      next_attempt_at = @next_attempt_at, updated_at = @at WHERE id = @id AND status = 'sending'`);
    this.#requeueClaimedExpired =
      db.prepare(`UPDATE messages SET next_attempt_at = @next_attempt_at,
      updated_at = @at WHERE id = @id AND status = 'queued' AND next_attempt_at IS NULL`);
  }

  /**
   * Claims due messages; the caller runs this inside a transaction. A message whose validity has
   * ended stays `queued` without a due time, because no provider will be called for it, and its
   * sender fails it `expired` from there.
   */
  claimDue(now: number, limit: number): ClaimedMessage[] {
    const rows = this.#selectDue.all({ now, limit });
    return rows.map((row) => {
      const expired = now >= row.expires_at;
      if (expired) {
        this.#markClaimedExpired.run({ id: row.id, at: now });
      } else {
        this.#markSending.run({ id: row.id, at: now });
        this.#insertStatus.run({ id: row.id, status: 'sending', code: null, at: now });
      }
      return {
        id: row.id,
        principal: row.principal,
        requestId: row.request_id,
        route: row.route,
        to: row.recipient,
        body: row.body,
        from: row.sender,
        reference: row.reference,
        encoding: row.encoding as ClaimedMessage['encoding'],
        expiresAt: row.expires_at,
        callbackUrl: row.callback_url,
        passes: row.passes,
        attempts: this.#selectAttempts.all({ id: row.id }).map(toAttempt),
        expired,
      };
    });
  }

  requeue(id: string, nextAttemptAt: number, at: number): boolean {
    const { changes } = this.#requeue.run({ id, next_attempt_at: nextAttemptAt, at });
    if (changes === 0) {
      // An expired message that the claim left `queued` is made due again, without a status change.
      const parameters = { id, next_attempt_at: nextAttemptAt, at };
      return this.#requeueClaimedExpired.run(parameters).changes > 0;
    }
    this.#insertStatus.run({ id, status: 'queued', code: null, at });
    // A `delivered` report that arrived during the pass cancels the next one.
    this.delivery.settleDelivered(id, at);
    return true;
  }

  recover(now: number): RecoveryReport {
    const ambiguous = this.db
      .prepare(
        `UPDATE attempts SET outcome = 'ambiguous', ended_at = @now,
          duration_ms = @now - started_at WHERE ended_at IS NULL`,
      )
      .run({ now });
    // A resend runs from the queue whatever the mode, because its client got its response already.
    const sending = this.db
      .prepare<[], { id: string; mode: string; resend: number }>(
        `SELECT id, mode, EXISTS (SELECT 1 FROM attempts
          WHERE message_id = messages.id AND superseded = 1) AS resend
          FROM messages WHERE status = 'sending' ORDER BY created_at`,
      )
      .all();

    const requeued: string[] = [];
    const interrupted: string[] = [];
    let finished = 0;
    for (const { id, mode, resend } of sending) {
      // A crash between a provider's acceptance and the final write leaves a sent attempt on a
      // message in `sending`. Sending it again would duplicate it, so it is finished as sent.
      const accepted = this.#selectSentAttempt.get({ id });
      if (accepted) {
        this.#finishSent.run({
          id,
          provider: accepted.provider,
          provider_message_id: accepted.provider_message_id,
          now,
        });
        this.#insertStatus.run({ id, status: 'sent', code: 'recovered', at: now });
        this.delivery.promote(id, now);
        finished += 1;
      } else if (mode === 'async' || resend === 1) {
        this.db
          .prepare(
            "UPDATE messages SET status = 'queued', next_attempt_at = @now, updated_at = @now WHERE id = @id",
          )
          .run({ id, now });
        this.#insertStatus.run({ id, status: 'queued', code: 'recovered', at: now });
        requeued.push(id);
      } else {
        // Step one marked the attempt that the crash cut short ambiguous, because its provider may
        // have sent the message.
        this.db
          .prepare(
            `UPDATE messages SET status = 'failed', code = 'interrupted', updated_at = @now,
              possible_duplicate = MAX(possible_duplicate, EXISTS (SELECT 1 FROM attempts
                WHERE message_id = @id AND outcome = 'ambiguous'))
              WHERE id = @id`,
          )
          .run({ id, now });
        this.#insertStatus.run({ id, status: 'failed', code: 'interrupted', at: now });
        interrupted.push(id);
      }
      this.delivery.settleDelivered(id, now);
    }

    // An expired message that was claimed but not failed has no due time, so it is made due.
    this.db
      .prepare(
        "UPDATE messages SET next_attempt_at = @now WHERE status = 'queued' AND next_attempt_at IS NULL",
      )
      .run({ now });

    const queued = this.db
      .prepare<[], { count: number }>(
        "SELECT COUNT(*) AS count FROM messages WHERE status = 'queued'",
      )
      .get();
    return {
      ambiguousAttempts: ambiguous.changes,
      finished,
      requeued,
      interrupted,
      queued: queued?.count ?? 0,
    };
  }

  prune(before: number, now: number): PruneReport {
    const messages = this.db
      .prepare(
        `DELETE FROM messages WHERE updated_at < @before
          AND status IN ('sent', 'delivered', 'undelivered', 'rejected', 'failed')`,
      )
      .run({ before });
    const keys = this.db
      .prepare('DELETE FROM idempotency_keys WHERE expires_at <= @now')
      .run({ now });
    return {
      messages: messages.changes,
      idempotencyKeys: keys.changes,
      pendingDeliveryReports: this.delivery.prunePending(now),
    };
  }
}
