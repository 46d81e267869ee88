import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import BetterSqlite3, { type Database } from 'better-sqlite3';

import type {
  AttemptEnd,
  AttemptStart,
  CallbackAttemptResult,
  CallbackDelivery,
  ClaimedMessage,
  DeliveryCheck,
  DeliveryReportOutcome,
  IdempotencyClaim,
  IdempotencyClaimRequest,
  MessageFilter,
  MessagePage,
  MessageResult,
  MessageStatus,
  MessageStore,
  NewDeliveryReport,
  NewMessage,
  OptOut,
  PruneReport,
  RecoveryReport,
  ResendRequest,
  StoredMessage,
  StoredResponse,
  UndeliveredMessage,
} from '../types.js';
import { CallbackTable } from './callbacks.js';
import { DeliveryCheckTable } from './delivery-checks.js';
import { DeliveryTable } from './delivery.js';
import { GroupCommit } from './group-commit.js';
import { IdempotencyTable } from './idempotency.js';
import { migrate } from './migrations.js';
import { OptOutTable } from './opt-outs.js';
import { QueueTable } from './queue.js';
import {
  attemptColumns,
  summaryColumns,
  toAttempt,
  toStatusChange,
  toSummary,
  type AttemptRow,
  type MessageRow,
  type StatusRow,
} from './rows.js';

/**
 * The message store in one SQLite file, through better-sqlite3. WAL mode lets readers run beside
 * the writer, and `synchronous = FULL` syncs every commit to disk, so an acknowledged message
 * survives a power loss as well as a process crash.
 *
 * Every method goes through a group commit (`GroupCommit`): the calls of one turn of the event
 * loop run in call order in one transaction, each in its own savepoint, and share one disk sync.
 * A method's promise settles once that commit is on disk. A read-only method runs at once when
 * nothing is queued.
 */
export class SqliteStore implements MessageStore {
  readonly db: Database;
  readonly #statements: ReturnType<typeof prepare>;
  readonly #idempotency: IdempotencyTable;
  readonly #queue: QueueTable;
  readonly #optOuts: OptOutTable;
  readonly #callbacks: CallbackTable;
  readonly #delivery: DeliveryTable;
  readonly #deliveryChecks: DeliveryCheckTable;
  readonly #commits: GroupCommit;

  /** Opens (or creates) the database at `path`, creating its directory, and migrates it. */
  constructor(readonly path: string) {
    if (path !== ':memory:') {
      mkdirSync(dirname(path), { recursive: true });
    }
    this.db = new BetterSqlite3(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.#statements = prepare(this.db);
    this.#idempotency = new IdempotencyTable(this.db, randomUUID());
    this.#delivery = new DeliveryTable(this.db);
    this.#deliveryChecks = new DeliveryCheckTable(this.db);
    this.#queue = new QueueTable(this.db, this.#delivery);
    this.#optOuts = new OptOutTable(this.db);
    this.#callbacks = new CallbackTable(this.db);
    this.#commits = new GroupCommit(this.db);
  }

  createMessage(message: NewMessage): Promise<void> {
    return this.#run(() => {
      this.#statements.insertMessage.run({
        id: message.id,
        principal: message.principal,
        request_id: message.requestId,
        mode: message.mode,
        route: message.route,
        recipient: message.to,
        body: message.body,
        sender: message.from ?? null,
        reference: message.reference ?? null,
        encoding: message.encoding,
        segments: message.segments,
        status: message.status,
        created_at: message.createdAt,
        expires_at: message.expiresAt ?? null,
        callback_url: message.callbackUrl ?? null,
        callback_format: message.callbackFormat ?? 'json',
      });
      this.#appendStatus(message.id, message.status, null, message.createdAt);
    });
  }

  updateStatus(id: string, status: MessageStatus, at: number): Promise<void> {
    return this.#run(() => {
      this.#statements.updateStatus.run({ id, status, at });
      this.#appendStatus(id, status, null, at);
    });
  }

  finishMessage(id: string, result: MessageResult): Promise<void> {
    return this.#run(() => {
      this.#statements.finishMessage.run({
        id,
        status: result.status,
        code: result.code,
        provider: result.provider,
        provider_message_id: result.providerMessageId,
        possible_duplicate: result.possibleDuplicate ? 1 : 0,
        at: result.at,
        delivery_check_at: result.status === 'sent' ? (result.finalStatusDueAt ?? null) : null,
      });
      this.#appendStatus(id, result.status, result.code, result.at);
      if (result.status === 'sent') {
        this.#delivery.promote(id, result.at);
      }
      this.#delivery.settleDelivered(id, result.at);
    });
  }

  recordAttemptStart(start: AttemptStart): Promise<void> {
    return this.#run(() => {
      this.#statements.insertAttempt.run({
        message_id: start.messageId,
        number: start.number,
        provider: start.provider,
        started_at: start.startedAt,
        resend: start.resend ? 1 : 0,
      });
    });
  }

  recordAttemptEnd(end: AttemptEnd): Promise<void> {
    return this.#run(() => {
      this.#statements.endAttempt.run({
        message_id: end.messageId,
        number: end.number,
        outcome: end.outcome,
        http_status: end.httpStatus,
        provider_code: end.providerCode,
        duration_ms: end.durationMs,
        ended_at: end.endedAt,
        provider_message_id: end.providerMessageId ?? null,
      });
      if (end.providerMessageId) {
        this.#delivery.applyPending(end.messageId, end.number, end.endedAt);
      }
    });
  }

  recordDeliveryReport(report: NewDeliveryReport): Promise<DeliveryReportOutcome> {
    return this.#run(() => this.#delivery.record(report));
  }

  listDeliveryChecks(now: number, limit: number): Promise<DeliveryCheck[]> {
    return this.#run(() => this.#deliveryChecks.listDue(now, limit));
  }

  resendMessage(resend: ResendRequest): Promise<boolean> {
    return this.#run(() => this.#deliveryChecks.resend(resend));
  }

  clearDeliveryCheck(id: string): Promise<void> {
    return this.#run(() => this.#deliveryChecks.clear(id));
  }

  claimUndelivered(
    id: string,
    expectedStatus: MessageStatus,
  ): Promise<UndeliveredMessage | undefined> {
    return this.#run(() => this.#deliveryChecks.claimUndelivered(id, expectedStatus));
  }

  getMessage(principal: string, id: string): Promise<StoredMessage | undefined> {
    return this.#read(() => {
      const row = this.#statements.selectMessage.get({ id, principal }) as
        (MessageRow & { body: string }) | undefined;
      if (!row) {
        return undefined;
      }

      const history = this.#statements.selectHistory.all({ id }) as StatusRow[];
      const attempts = this.#statements.selectAttempts.all({ id }) as AttemptRow[];
      return {
        ...toSummary(row),
        body: row.body,
        history: history.map(toStatusChange),
        attempts: attempts.map(toAttempt),
      };
    });
  }

  listMessages(principal: string, filter: MessageFilter): Promise<MessagePage> {
    return this.#read(() => {
      const conditions = ['principal = @principal'];
      const parameters: Record<string, string | number> = { principal, limit: filter.limit + 1 };
      if (filter.status !== undefined) {
        conditions.push('status = @status');
        parameters['status'] = filter.status;
      }
      if (filter.route !== undefined) {
        conditions.push('route = @route');
        parameters['route'] = filter.route;
      }
      if (filter.createdFrom !== undefined) {
        conditions.push('created_at >= @created_from');
        parameters['created_from'] = filter.createdFrom;
      }
      if (filter.createdBefore !== undefined) {
        conditions.push('created_at < @created_before');
        parameters['created_before'] = filter.createdBefore;
      }
      if (filter.cursor !== undefined) {
        // Row-value comparison keeps the order stable when several messages share a millisecond.
        conditions.push('(created_at, id) < (@cursor_created_at, @cursor_id)');
        parameters['cursor_created_at'] = filter.cursor.createdAt;
        parameters['cursor_id'] = filter.cursor.id;
      }

      const sql = `SELECT ${summaryColumns} FROM messages WHERE ${conditions.join(' AND ')}
        ORDER BY created_at DESC, id DESC LIMIT @limit`;
      const rows = this.db.prepare(sql).all(parameters) as MessageRow[];
      const page = rows.slice(0, filter.limit).map(toSummary);
      const last = page.at(-1);
      const more = rows.length > filter.limit && last !== undefined;
      return {
        messages: page,
        nextCursor: more ? { createdAt: last.createdAt, id: last.id } : undefined,
      };
    });
  }

  claimIdempotencyKey(claim: IdempotencyClaimRequest): Promise<IdempotencyClaim> {
    return this.#run(() => this.#idempotency.claim(claim));
  }

  completeIdempotencyKey(principal: string, key: string, response: StoredResponse): Promise<void> {
    return this.#run(() => this.#idempotency.complete(principal, key, response));
  }

  releaseIdempotencyKey(principal: string, key: string): Promise<void> {
    return this.#run(() => this.#idempotency.release(principal, key));
  }

  claimDueMessages(now: number, limit: number): Promise<ClaimedMessage[]> {
    return this.#run(() => this.#queue.claimDue(now, limit));
  }

  requeueMessage(id: string, nextAttemptAt: number, at: number): Promise<boolean> {
    return this.#run(() => this.#queue.requeue(id, nextAttemptAt, at));
  }

  recoverInterrupted(now: number): Promise<RecoveryReport> {
    return this.#run(() => this.#queue.recover(now));
  }

  prune(before: number, now: number): Promise<PruneReport> {
    return this.#run(() => this.#queue.prune(before, now));
  }

  claimDueCallbacks(now: number, limit: number, leaseUntil: number): Promise<CallbackDelivery[]> {
    return this.#run(() => this.#callbacks.claimDue(now, limit, leaseUntil));
  }

  finishCallbackAttempt(eventId: string, result: CallbackAttemptResult): Promise<void> {
    return this.#run(() => this.#callbacks.finishAttempt(eventId, result));
  }

  releaseCallbackClaims(now: number): Promise<number> {
    return this.#run(() => this.#callbacks.releaseClaims(now));
  }

  recordOptOut(optOut: OptOut): Promise<void> {
    return this.#run(() => this.#optOuts.record(optOut));
  }

  findOptOut(senders: readonly string[], recipient: string): Promise<OptOut | undefined> {
    return this.#read(() => this.#optOuts.find(senders, recipient));
  }

  listOptOuts(filter: { recipient?: string; limit: number }): Promise<OptOut[]> {
    return this.#read(() => this.#optOuts.list(filter));
  }

  deleteOptOut(sender: string, recipient: string): Promise<boolean> {
    return this.#run(() => this.#optOuts.delete(sender, recipient));
  }

  /**
   * Commits the operations still queued, then closes the database; a second call does nothing.
   * Operations called after `close` reject.
   */
  close(): Promise<void> {
    this.#commits.close();
    if (this.db.open) {
      this.db.close();
    }
    return Promise.resolve();
  }

  #appendStatus(id: string, status: MessageStatus, code: string | null, at: number): void {
    this.#statements.insertStatus.run({ id, status, code, at });
  }

  /** Queues `work` for the next group commit; resolves with its result once it is on disk. */
  #run<T>(work: () => T): Promise<T> {
    return this.#commits.run(work);
  }

  /** Runs the read-only `work` at once when nothing is queued, else after the queued writes. */
  #read<T>(work: () => T): Promise<T> {
    return this.#commits.read(work);
  }
}

function prepare(db: Database) {
  return {
    insertMessage: db.prepare(`INSERT INTO messages (id, principal, request_id, mode, route,
      recipient, body, sender, reference, encoding, segments, status, created_at, updated_at,
      expires_at, callback_url, callback_format, next_attempt_at)
      VALUES (@id, @principal, @request_id, @mode, @route, @recipient, @body, @sender, @reference,
      @encoding, @segments, @status, @created_at, @created_at, @expires_at, @callback_url,
      @callback_format, CASE WHEN @status = 'queued' THEN @created_at END)`),
    updateStatus: db.prepare(
      'UPDATE messages SET status = @status, updated_at = @at WHERE id = @id',
    ),
    finishMessage: db.prepare(`UPDATE messages SET status = @status, code = @code,
      provider = @provider, provider_message_id = @provider_message_id,
      possible_duplicate = MAX(possible_duplicate, @possible_duplicate), updated_at = @at,
      delivery_check_at = @delivery_check_at WHERE id = @id`),
    insertStatus: db.prepare(`INSERT INTO status_changes (message_id, seq, status, code, at)
      VALUES (@id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM status_changes WHERE message_id = @id),
      @status, @code, @at)`),
    insertAttempt: db.prepare(`INSERT INTO attempts (message_id, number, provider, started_at,
      resend) VALUES (@message_id, @number, @provider, @started_at, @resend)`),
    endAttempt: db.prepare(`UPDATE attempts SET ended_at = @ended_at, outcome = @outcome,
      http_status = @http_status, provider_code = @provider_code, duration_ms = @duration_ms,
      provider_message_id = COALESCE(@provider_message_id, provider_message_id)
      WHERE message_id = @message_id AND number = @number`),
    selectMessage: db.prepare(
      `SELECT ${summaryColumns}, body FROM messages WHERE id = @id AND principal = @principal`,
    ),
    selectHistory: db.prepare(
      `SELECT status, code, provider_code, at FROM status_changes WHERE message_id = @id
        ORDER BY seq`,
    ),
    selectAttempts: db.prepare(
      `SELECT ${attemptColumns} FROM attempts WHERE message_id = @id ORDER BY number`,
    ),
  };
}
