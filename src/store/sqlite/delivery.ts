import type { Database } from 'better-sqlite3';

import type { DeliveryFailureClass, DeliveryStatus } from '../../../providers/delivery.js';
import { advancesDelivery, messageStatusOf, messageStatusRank } from '../status.js';
import type { DeliveryReportOutcome, MessageStatus, NewDeliveryReport } from '../types.js';

/** An attempt that a report's provider message id matched. */
interface AttemptMatch {
  message_id: string;
  number: number;
  provider: string;
  provider_message_id: string;
  delivery_status: DeliveryStatus | null;
  superseded: number;
}

interface MessageState {
  status: MessageStatus;
  provider: string | null;
  provider_message_id: string | null;
}

/** A report kept in `delivery_reports` until its attempt's provider message id is written. */
interface PendingRow {
  report_key: string;
  status: DeliveryStatus;
  provider_code: string | null;
  failure_class: DeliveryFailureClass | null;
  received_at: number;
}

/** The delivery status, provider code and class of one report or one attempt. */
interface Delivery {
  readonly status: DeliveryStatus;
  readonly providerCode: string | null;
  readonly failureClass: DeliveryFailureClass | null;
}

type Recorded = Extract<DeliveryReportOutcome, { kind: 'recorded' }>;

/**
 * Delivery reports and their effect on attempts and messages. Every method expects to run inside
 * the caller's transaction, so that a report, its attempt and its message change together.
 */
export class DeliveryTable {
  readonly #statements: ReturnType<typeof prepare>;

  constructor(db: Database) {
    this.#statements = prepare(db);
  }

  record(report: NewDeliveryReport): DeliveryReportOutcome {
    const statements = this.#statements;
    const inserted = statements.insertReport.run({
      report_key: reportKey(report),
      source: report.source,
      providers: JSON.stringify(report.providers),
      provider_message_id: report.providerMessageId,
      status: report.status,
      provider_status: report.providerStatus,
      provider_code: report.providerCode,
      failure_class: report.failureClass,
      received_at: report.receivedAt,
    });
    if (inserted.changes === 0) {
      return { kind: 'duplicate' };
    }

    const attempt = this.#findOrName(report);
    if (attempt === undefined) {
      statements.keepPending.run({
        report_key: reportKey(report),
        pending_until: report.pendingUntil,
      });
      return { kind: 'pending' };
    }

    statements.linkReport.run({
      report_key: reportKey(report),
      message_id: attempt.message_id,
      attempt_number: attempt.number,
    });
    return this.#apply(attempt, report, report.receivedAt);
  }

  /**
   * Returns the attempt with the report's provider message id. Without one, gives that id to the
   * attempt the callback URL named, when that attempt belongs to one of the report's providers and
   * has no id yet because it is still running or ended `ambiguous`.
   */
  #findOrName(report: NewDeliveryReport): AttemptMatch | undefined {
    const statements = this.#statements;
    const lookup = {
      provider_message_id: report.providerMessageId,
      providers: JSON.stringify(report.providers),
    };
    const found = statements.findAttempt.get(lookup);
    if (found !== undefined || report.attempt === undefined) {
      return found;
    }

    const named = statements.nameAttempt.run({
      ...lookup,
      message_id: report.attempt.messageId,
      number: report.attempt.number,
    });
    return named.changes === 0 ? undefined : statements.findAttempt.get(lookup);
  }

  /**
   * Applies the reports kept for the provider message id of attempt `number` of `messageId`,
   * which has just been written, oldest first. Reports whose `pending_until` has passed at `now`
   * stay for pruning.
   */
  applyPending(messageId: string, number: number, now: number): void {
    const statements = this.#statements;
    const attempt = statements.selectAttempt.get({ message_id: messageId, number });
    if (attempt === undefined) {
      return;
    }

    const pending = statements.selectPending.all({
      provider_message_id: attempt.provider_message_id,
      provider: attempt.provider,
      now,
    });
    for (const report of pending) {
      statements.linkReport.run({
        report_key: report.report_key,
        message_id: messageId,
        attempt_number: number,
      });
      const current = statements.selectAttempt.get({ message_id: messageId, number }) ?? attempt;
      const delivery = {
        status: report.status,
        providerCode: report.provider_code,
        failureClass: report.failure_class,
      };
      this.#apply(current, delivery, report.received_at);
    }
  }

  /**
   * Gives a message that has just become `sent` the status that reports already gave its
   * accepted attempt, with a history entry at `at`.
   */
  promote(messageId: string, at: number): void {
    const statements = this.#statements;
    const message = statements.selectMessage.get({ id: messageId });
    if (!message || message.provider === null || message.provider_message_id === null) {
      return;
    }

    const attempt = statements.selectAcceptedDelivery.get({
      message_id: messageId,
      provider: message.provider,
      provider_message_id: message.provider_message_id,
    });
    if (attempt?.delivery_status) {
      const delivery = {
        status: attempt.delivery_status,
        providerCode: attempt.delivery_provider_code,
        failureClass: attempt.delivery_failure_class,
      };
      this.#moveMessage(messageId, message.status, delivery, at);
    }
  }

  /** Deletes reports that matched no attempt before `pending_until`; returns how many. */
  prunePending(now: number): number {
    return this.#statements.prunePending.run({ now }).changes;
  }

  #apply(attempt: AttemptMatch, report: Delivery, at: number): Recorded {
    const statements = this.#statements;
    const message = statements.selectMessage.get({ id: attempt.message_id });
    const outcome: Recorded = {
      kind: 'recorded',
      messageId: attempt.message_id,
      attempt: attempt.number,
      attemptChanged: advancesDelivery(attempt.delivery_status, report.status),
      messageChanged: false,
      messageStatus: message?.status ?? 'sent',
    };
    if (!outcome.attemptChanged || message === undefined) {
      return outcome;
    }

    statements.updateAttemptDelivery.run({
      message_id: attempt.message_id,
      number: attempt.number,
      status: report.status,
      provider_code: report.providerCode,
      failure_class: report.failureClass,
      at,
    });
    // `delivered` on any attempt, a superseded one included, delivers the message. Any other
    // status counts only from the attempt whose provider message id the message carries, and a
    // resend supersedes that attempt.
    const isAccepted =
      attempt.superseded === 0 &&
      message.provider === attempt.provider &&
      message.provider_message_id === attempt.provider_message_id;
    const moved =
      report.status === 'delivered'
        ? this.#deliver(attempt.message_id, message.status, report, at)
        : isAccepted && this.#moveMessage(attempt.message_id, message.status, report, at);
    if (!moved) {
      return outcome;
    }
    return { ...outcome, messageChanged: true, messageStatus: messageStatusOf(report.status) };
  }

  /**
   * Moves a message to `delivered` when one of its attempts has a `delivered` report, with a
   * history entry at `at`. The store calls this when a sending pass ends, because a report that
   * arrives while the message is `sending` only updates its attempt.
   */
  settleDelivered(messageId: string, at: number): void {
    const statements = this.#statements;
    const message = statements.selectMessage.get({ id: messageId });
    const attempt = statements.selectDeliveredAttempt.get({ message_id: messageId });
    if (message === undefined || attempt === undefined) {
      return;
    }

    const delivery = {
      status: 'delivered' as const,
      providerCode: attempt.delivery_provider_code,
      failureClass: null,
    };
    this.#deliver(messageId, message.status, delivery, at);
  }

  /**
   * Moves a message to `delivered` from any status but `sending`, and returns true when it moved.
   * A message `queued` for a resend or a retry is delivered already, so its next pass is
   * cancelled. A message in `sending` keeps its pass, because a provider call may be running, and
   * `settleDelivered` delivers it when the pass ends.
   */
  #deliver(id: string, current: MessageStatus, delivery: Delivery, at: number): boolean {
    if (current !== 'queued') {
      return this.#moveMessage(id, current, delivery, at);
    }

    const statements = this.#statements;
    if (statements.cancelQueued.run({ id, at }).changes === 0) {
      return false;
    }
    statements.insertStatus.run({
      id,
      status: 'delivered',
      code: null,
      provider_code: delivery.providerCode,
      at,
    });
    return true;
  }

  /**
   * Moves a message that has left `sending` to the status that `delivery` means, when that ranks
   * higher, and appends the change to its history. A failure makes the message due for a delivery
   * check at once, and `delivered` ends the check. Returns true when it moved.
   */
  #moveMessage(id: string, current: MessageStatus, delivery: Delivery, at: number): boolean {
    const target = messageStatusOf(delivery.status);
    if (messageStatusRank[current] < messageStatusRank.sent) {
      return false;
    }
    if (messageStatusRank[target] <= messageStatusRank[current]) {
      return false;
    }

    const code = delivery.failureClass;
    this.#statements.updateMessageStatus.run({ id, status: target, code, at });
    this.#statements.insertStatus.run({
      id,
      status: target,
      code,
      provider_code: delivery.providerCode,
      at,
    });
    return true;
  }
}

/**
 * Returns the identity of a report: a provider repeats a report with the same source, message id,
 * status and code, and any of these differing makes it a new report. The key also contains the
 * providers that verified the report, so that an unsigned report matched to another account never
 * makes the signed report of the right provider a duplicate.
 */
function reportKey(report: NewDeliveryReport): string {
  return [
    report.source,
    report.providerMessageId,
    report.providerStatus,
    report.providerCode ?? '',
    JSON.stringify([...report.providers].sort()),
  ].join('\n');
}

function prepare(db: Database) {
  return {
    insertReport: db.prepare(`INSERT OR IGNORE INTO delivery_reports (report_key, source,
      providers, provider_message_id, status, provider_status, provider_code, failure_class,
      received_at) VALUES (@report_key, @source, @providers, @provider_message_id, @status,
      @provider_status, @provider_code, @failure_class, @received_at)`),
    keepPending: db.prepare(
      'UPDATE delivery_reports SET pending_until = @pending_until WHERE report_key = @report_key',
    ),
    linkReport: db.prepare(`UPDATE delivery_reports SET message_id = @message_id,
      attempt_number = @attempt_number, pending_until = NULL WHERE report_key = @report_key`),
    findAttempt: db.prepare<
      [{ provider_message_id: string; providers: string }],
      AttemptMatch
    >(`SELECT message_id, number, provider, provider_message_id, delivery_status, superseded
      FROM attempts WHERE provider_message_id = @provider_message_id
        AND provider IN (SELECT value FROM json_each(@providers))
      ORDER BY started_at DESC LIMIT 1`),
    nameAttempt: db.prepare(`UPDATE attempts SET provider_message_id = @provider_message_id
      WHERE message_id = @message_id AND number = @number AND provider_message_id IS NULL
        AND (outcome IS NULL OR outcome = 'ambiguous')
        AND provider IN (SELECT value FROM json_each(@providers))`),
    selectAttempt: db.prepare<[{ message_id: string; number: number }], AttemptMatch>(
      `SELECT message_id, number, provider, provider_message_id, delivery_status, superseded
        FROM attempts
        WHERE message_id = @message_id AND number = @number AND provider_message_id IS NOT NULL`,
    ),
    selectPending: db.prepare<
      [{ provider_message_id: string; provider: string; now: number }],
      PendingRow
    >(`SELECT report_key, status, provider_code, failure_class, received_at FROM delivery_reports
      WHERE provider_message_id = @provider_message_id AND message_id IS NULL
        AND pending_until > @now
        AND EXISTS (SELECT 1 FROM json_each(providers) WHERE value = @provider)
      ORDER BY received_at, rowid`),
    selectMessage: db.prepare<[{ id: string }], MessageState>(
      'SELECT status, provider, provider_message_id FROM messages WHERE id = @id',
    ),
    selectAcceptedDelivery: db.prepare<
      [{ message_id: string; provider: string; provider_message_id: string }],
      {
        delivery_status: DeliveryStatus | null;
        delivery_provider_code: string | null;
        delivery_failure_class: DeliveryFailureClass | null;
      }
    >(`SELECT delivery_status, delivery_provider_code, delivery_failure_class FROM attempts
      WHERE message_id = @message_id AND provider = @provider
        AND provider_message_id = @provider_message_id AND superseded = 0
      ORDER BY number DESC LIMIT 1`),
    selectDeliveredAttempt: db.prepare<
      [{ message_id: string }],
      { delivery_provider_code: string | null }
    >(`SELECT delivery_provider_code FROM attempts
      WHERE message_id = @message_id AND delivery_status = 'delivered'
      ORDER BY number DESC LIMIT 1`),
    // The cancelled pass sent nothing, so the message is a possible duplicate only when an
    // attempt is ambiguous or more than one provider accepted it.
    cancelQueued: db.prepare(`UPDATE messages SET status = 'delivered', code = NULL,
      next_attempt_at = NULL, delivery_check_at = NULL, updated_at = @at,
      possible_duplicate = (SELECT COUNT(*) FILTER (WHERE outcome = 'ambiguous') > 0
        OR COUNT(*) FILTER (WHERE outcome = 'sent') > 1 FROM attempts WHERE message_id = @id)
      WHERE id = @id AND status = 'queued'`),
    updateAttemptDelivery: db.prepare(`UPDATE attempts SET delivery_status = @status,
      delivery_provider_code = @provider_code, delivery_failure_class = @failure_class,
      delivery_at = @at WHERE message_id = @message_id AND number = @number`),
    updateMessageStatus: db.prepare(`UPDATE messages SET status = @status, code = @code,
      updated_at = @at, delivery_check_at = CASE
        WHEN @status IN ('undelivered', 'failed') THEN @at
        WHEN @status = 'delivered' THEN NULL
        ELSE delivery_check_at END
      WHERE id = @id`),
    insertStatus: db.prepare(`INSERT INTO status_changes (message_id, seq, status, code,
      provider_code, at) VALUES (@id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM status_changes
      WHERE message_id = @id), @status, @code, @provider_code, @at)`),
    prunePending: db.prepare(
      'DELETE FROM delivery_reports WHERE message_id IS NULL AND pending_until <= @now',
    ),
  };
}
