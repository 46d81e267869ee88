import type { Database } from 'better-sqlite3';

import type {
  CallbackAttemptResult,
  CallbackDelivery,
  CallbackFormat,
  MessageStatus,
} from '../types.js';

interface DeliveryRow {
  event_id: string;
  message_id: string;
  principal: string;
  url: string;
  callback_format: string;
  recipient: string;
  sender: string | null;
  status: string;
  code: string | null;
  provider: string | null;
  provider_message_id: string | null;
  possible_duplicate: number;
  reference: string | null;
  changed_at: number;
  attempts: number;
}

/**
 * The callback outbox, `callback_deliveries`. The trigger from migration 5 fills it, and this
 * class claims due deliveries and records their attempts. A claim moves a delivery to `sending` and
 * stores the lease end in `next_attempt_at`, so one index finds both pending deliveries and
 * claims whose lease has passed.
 */
export class CallbackTable {
  readonly #selectDue;
  readonly #claim;
  readonly #delivered;
  readonly #retry;
  readonly #gaveUp;
  readonly #release;

  constructor(db: Database) {
    // A delivery is claimable only when no earlier change of its message is still pending or
    // being sent, which keeps one message's callbacks in order and one at a time.
    this.#selectDue = db.prepare<[{ now: number; limit: number }], DeliveryRow>(
      `SELECT d.event_id, d.message_id, m.principal, d.url, m.callback_format, m.recipient,
        m.sender, d.status, d.code, d.provider, d.provider_message_id, d.possible_duplicate,
        m.reference, d.changed_at, d.attempts
        FROM callback_deliveries d JOIN messages m ON m.id = d.message_id
        WHERE d.state IN ('pending', 'sending') AND d.next_attempt_at <= @now
        AND NOT EXISTS (SELECT 1 FROM callback_deliveries e
          WHERE e.message_id = d.message_id AND e.seq < d.seq
          AND e.state IN ('pending', 'sending'))
        ORDER BY d.next_attempt_at, d.changed_at, d.seq LIMIT @limit`,
    );
    this.#claim = db.prepare(`UPDATE callback_deliveries SET state = 'sending',
      attempts = attempts + 1, next_attempt_at = @lease_until WHERE event_id = @event_id`);
    this.#delivered = db.prepare(`UPDATE callback_deliveries SET state = 'delivered',
      last_error = NULL, finished_at = @at WHERE event_id = @event_id`);
    this.#retry = db.prepare(`UPDATE callback_deliveries SET state = 'pending',
      next_attempt_at = @next_attempt_at, last_error = @error WHERE event_id = @event_id`);
    this.#gaveUp = db.prepare(`UPDATE callback_deliveries SET state = 'gave_up',
      last_error = @error, finished_at = @at WHERE event_id = @event_id`);
    this.#release = db.prepare(`UPDATE callback_deliveries SET state = 'pending',
      next_attempt_at = @now WHERE state = 'sending'`);
  }

  /** Claims due deliveries; the caller runs this inside a transaction. */
  claimDue(now: number, limit: number, leaseUntil: number): CallbackDelivery[] {
    const rows = this.#selectDue.all({ now, limit });
    return rows.map((row) => {
      this.#claim.run({ event_id: row.event_id, lease_until: leaseUntil });
      return {
        eventId: row.event_id,
        messageId: row.message_id,
        principal: row.principal,
        url: row.url,
        // The store writes the format only from the typed values of its contract.
        format: row.callback_format as CallbackFormat,
        to: row.recipient,
        from: row.sender,
        // The trigger copies the status from a status change, which the store writes only from
        // the typed values of its contract.
        status: row.status as MessageStatus,
        code: row.code,
        provider: row.provider,
        providerMessageId: row.provider_message_id,
        possibleDuplicate: row.possible_duplicate === 1,
        reference: row.reference,
        changedAt: row.changed_at,
        attempts: row.attempts + 1,
      };
    });
  }

  finishAttempt(eventId: string, result: CallbackAttemptResult): void {
    switch (result.kind) {
      case 'delivered':
        this.#delivered.run({ event_id: eventId, at: result.at });
        return;
      case 'retry':
        this.#retry.run({
          event_id: eventId,
          next_attempt_at: result.nextAttemptAt,
          error: result.error,
        });
        return;
      case 'gave_up':
        this.#gaveUp.run({ event_id: eventId, at: result.at, error: result.error });
        return;
    }
  }

  releaseClaims(now: number): number {
    return this.#release.run({ now }).changes;
  }
}
