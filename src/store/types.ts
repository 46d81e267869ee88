import type {
  DeliveryFailureClass,
  DeliveryReport,
  DeliveryStatus,
} from '../../providers/delivery.js';
import type { AttemptOutcome } from '../events.js';

/**
 * The state of a message. `messageStatusRank` in `status.ts` orders them.
 *
 * - `queued`: accepted in async mode and waiting for the background sender.
 * - `sending`: a sender is routing it now.
 * - `sent`: a provider accepted it, and no final delivery report has arrived.
 * - `delivered`: the provider reported it delivered.
 * - `undelivered`: the provider accepted it and then reported that the carrier could not deliver
 *   it; `code` is the failure class, such as `recipient_failure`.
 * - `rejected`: a provider rejected it (`rejected` class); `code` names the reason.
 * - `failed`: no provider sent it, and `code` names the routing result, such as
 *   `all_providers_failed`. Or a provider accepted it and then reported that it could not send
 *   it, and `code` is the failure class, such as `account_failure`.
 */
export type MessageStatus =
  'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'rejected' | 'failed';

/** The sending mode that the client requested. */
export type SendMode = 'sync' | 'async';

/**
 * The format of a message's status callbacks: `json`, the gateway's own signed JSON body, or
 * `twilio`, Twilio's form-encoded status callback signed with `X-Twilio-Signature`.
 */
export type CallbackFormat = 'json' | 'twilio';

/** A message as it is first written, before any attempt. */
export interface NewMessage {
  readonly id: string;
  /** Name of the API key that sent it; reads are scoped to it. */
  readonly principal: string;
  readonly requestId: string;
  readonly mode: SendMode;
  readonly route: string;
  /** Recipient in E.164. */
  readonly to: string;
  readonly body: string;
  readonly from: string | undefined;
  readonly reference: string | undefined;
  readonly encoding: 'GSM-7' | 'UCS-2';
  readonly segments: number;
  readonly status: MessageStatus;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Validity deadline in epoch milliseconds: an async message is not sent after it. */
  readonly expiresAt: number | undefined;
  readonly callbackUrl: string | undefined;
  /** Format of the status callbacks to `callbackUrl`; `json` when undefined. */
  readonly callbackFormat?: CallbackFormat | undefined;
}

/** The end state of a message that left `sending`, as routing decided it. */
export interface MessageResult {
  readonly status: Extract<MessageStatus, 'sent' | 'rejected' | 'failed'>;
  /** Problem code for `rejected` and `failed`; null for `sent`. */
  readonly code: string | null;
  readonly provider: string | null;
  readonly providerMessageId: string | null;
  readonly possibleDuplicate: boolean;
  /** Epoch milliseconds. */
  readonly at: number;
  /**
   * For `sent`: when to check for a final delivery status (the route's `final_status_timeout_ms`
   * after `at`), epoch milliseconds; undefined when the route sets no timeout.
   */
  readonly finalStatusDueAt?: number;
}

/** The start of one attempt, written before the provider is called. */
export interface AttemptStart {
  readonly messageId: string;
  /** 1 for the first attempt of the message, across providers and sending passes. */
  readonly number: number;
  readonly provider: string;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  /** True when the attempt belongs to a resend after a delivery failure or timeout. */
  readonly resend?: boolean;
}

/** The end of one attempt, written once the provider responded or the attempt timed out. */
export interface AttemptEnd {
  readonly messageId: string;
  readonly number: number;
  readonly outcome: AttemptOutcome;
  readonly httpStatus: number | null;
  readonly providerCode: string | null;
  readonly durationMs: number;
  /** Epoch milliseconds. */
  readonly endedAt: number;
  /** The provider's id of the message, for a `sent` attempt; delivery reports are matched on it. */
  readonly providerMessageId?: string | null;
}

/** The last delivery report of the provider on one accepted attempt. */
export interface AttemptDelivery {
  readonly status: DeliveryStatus;
  readonly providerCode: string | null;
  readonly failureClass: DeliveryFailureClass | null;
  /** When the gateway received the report, epoch milliseconds. */
  readonly at: number;
}

/** One attempt as stored; `outcome` is null while it has no end. */
export interface StoredAttempt {
  readonly number: number;
  readonly provider: string;
  readonly startedAt: number;
  readonly endedAt: number | null;
  readonly outcome: AttemptOutcome | null;
  readonly httpStatus: number | null;
  readonly providerCode: string | null;
  readonly durationMs: number | null;
  readonly providerMessageId: string | null;
  /** Null until a provider reports on this attempt. */
  readonly delivery: AttemptDelivery | null;
  /** True when the attempt belongs to a resend. */
  readonly resend: boolean;
  /** True when a resend replaced this accepted attempt; its reports no longer move the message. */
  readonly superseded: boolean;
}

/** One entry of a message's status history. */
export interface StatusChange {
  readonly status: MessageStatus;
  readonly code: string | null;
  /** The provider's error code of a delivery report, such as Twilio `30003`; null otherwise. */
  readonly providerCode: string | null;
  readonly at: number;
}

/** A stored message without its history and attempts, as a list returns it. */
export interface MessageSummary {
  readonly id: string;
  readonly principal: string;
  readonly requestId: string;
  readonly mode: SendMode;
  readonly route: string;
  readonly to: string;
  readonly from: string | null;
  readonly reference: string | null;
  readonly encoding: 'GSM-7' | 'UCS-2';
  readonly segments: number;
  readonly status: MessageStatus;
  readonly code: string | null;
  readonly provider: string | null;
  readonly providerMessageId: string | null;
  readonly possibleDuplicate: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly expiresAt: number | null;
  readonly callbackUrl: string | null;
}

/** A stored message with everything that happened to it. */
export interface StoredMessage extends MessageSummary {
  readonly body: string;
  readonly history: readonly StatusChange[];
  readonly attempts: readonly StoredAttempt[];
}

/** Filters of a message list; every one is optional. */
export interface MessageFilter {
  readonly status?: MessageStatus;
  readonly route?: string;
  /** Created at or after, epoch milliseconds. */
  readonly createdFrom?: number;
  /** Created before, epoch milliseconds. */
  readonly createdBefore?: number;
  /** Page size, 1 or more. */
  readonly limit: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: ListCursor;
}

/** Position after the last message of a page: newest first, ties broken by id. */
export interface ListCursor {
  readonly createdAt: number;
  readonly id: string;
}

/** One page of a message list, newest first. */
export interface MessagePage {
  readonly messages: readonly MessageSummary[];
  /** Undefined on the last page. */
  readonly nextCursor: ListCursor | undefined;
}

/** A queued message that a sender claimed for one sending pass. */
export interface ClaimedMessage {
  readonly id: string;
  readonly principal: string;
  readonly requestId: string;
  readonly route: string;
  readonly to: string;
  readonly body: string;
  readonly from: string | null;
  readonly reference: string | null;
  readonly encoding: 'GSM-7' | 'UCS-2';
  /** Validity deadline, epoch milliseconds. */
  readonly expiresAt: number;
  readonly callbackUrl: string | null;
  /** Sending passes before this one. */
  readonly passes: number;
  /** Every attempt of earlier passes, oldest first. */
  readonly attempts: readonly StoredAttempt[];
  /**
   * True when the message's validity had ended at the claim. The claim then leaves it `queued`
   * and takes it off the due list, so that it fails `expired` straight from `queued`.
   */
  readonly expired: boolean;
}

/** The findings and changes of start-up recovery. */
export interface RecoveryReport {
  /** Attempts that had started and had no end; now `ambiguous`. */
  readonly ambiguousAttempts: number;
  /**
   * Messages in `sending` with an attempt that a provider accepted. They are now `sent` with that
   * attempt's provider and message id, or the status its delivery reports gave it.
   */
  readonly finished: number;
  /** Async messages and resends that were being sent; queued again. */
  readonly requeued: readonly string[];
  /**
   * Sync messages that were being sent; their client got no response, so they are `failed` with
   * code `interrupted`.
   */
  readonly interrupted: readonly string[];
  /** Async messages waiting in the queue. */
  readonly queued: number;
}

/**
 * One status change of a message with a `callback_url`, waiting to be posted there. The store
 * enqueues one for every status change after the first, in the transaction that writes the
 * change, and keeps the message's provider fields as they were at that change.
 */
export interface CallbackDelivery {
  /** `<message id>:<sequence number of the change>`, the same on every attempt. */
  readonly eventId: string;
  readonly messageId: string;
  /** Name of the API key that sent the message. */
  readonly principal: string;
  readonly url: string;
  readonly format: CallbackFormat;
  /** The message's recipient in E.164. */
  readonly to: string;
  /** The message's sender override; null when each provider's configured sender sent it. */
  readonly from: string | null;
  readonly status: MessageStatus;
  readonly code: string | null;
  readonly provider: string | null;
  readonly providerMessageId: string | null;
  readonly possibleDuplicate: boolean;
  readonly reference: string | null;
  /** Time of the status change, epoch milliseconds. */
  readonly changedAt: number;
  /** Attempts to post it, the one this claim starts included. */
  readonly attempts: number;
}

/**
 * The result of one attempt to post a callback delivery.
 *
 * - `delivered`: the receiver responded with 2xx, so the delivery is done.
 * - `retry`: the attempt failed and the delivery is due again at `nextAttemptAt`.
 * - `gave_up`: the attempt failed and no further attempt will be made.
 */
export type CallbackAttemptResult =
  | { readonly kind: 'delivered'; readonly at: number }
  | {
      readonly kind: 'retry';
      readonly at: number;
      readonly nextAttemptAt: number;
      readonly error: string;
    }
  | { readonly kind: 'gave_up'; readonly at: number; readonly error: string };

/** Rows that a retention run deleted. */
export interface PruneReport {
  readonly messages: number;
  readonly idempotencyKeys: number;
  /** Delivery reports that matched no attempt before they expired. */
  readonly pendingDeliveryReports: number;
}

/**
 * A message due for a delivery check: its final status did not arrive in time (`status` is still
 * `sent`), or its provider reported a failure (`undelivered` or `failed`, with the failure class
 * as `code`).
 */
export interface DeliveryCheck {
  readonly id: string;
  readonly route: string;
  readonly status: MessageStatus;
  readonly code: string | null;
  /** The provider that accepted the message. */
  readonly provider: string | null;
  /** Number of the attempt that the provider accepted. */
  readonly attempt: number | null;
  /** Providers that accepted the message or may have it (an ambiguous attempt), in any pass. */
  readonly usedProviders: readonly string[];
  /** Validity deadline, epoch milliseconds; null for a sync message. */
  readonly expiresAt: number | null;
}

/** A message whose delivery failed for good, with what its escalation needs. */
export interface UndeliveredMessage {
  readonly id: string;
  readonly requestId: string;
  readonly route: string;
  readonly to: string;
  readonly body: string;
  readonly reference: string | null;
  /** Every attempt of every pass, oldest first. */
  readonly attempts: readonly StoredAttempt[];
}

/** A resend of a message through another provider, as a delivery check decided it. */
export interface ResendRequest {
  readonly id: string;
  /** The accepted attempt that the resend supersedes. */
  readonly attempt: number;
  /** The message status the check saw; the resend is skipped when it changed since. */
  readonly expectedStatus: MessageStatus;
  /** History code of the resend, such as `resend_after_failure`. */
  readonly code: string;
  /** Epoch milliseconds; the message is due in the queue at once. */
  readonly at: number;
  /** Validity deadline for a message that has none (a sync message), epoch milliseconds. */
  readonly expiresAt: number;
}

/** A provider's delivery report as a webhook received it, ready to record. */
export interface NewDeliveryReport extends DeliveryReport {
  /** Provider type, such as `twilio`; the report's identity is this type with its other fields. */
  readonly source: string;
  /** Ids of the configured providers the report may belong to (the account matched). */
  readonly providers: readonly string[];
  /** Epoch milliseconds. */
  readonly receivedAt: number;
  /** Until when a report that matches no attempt yet is kept, epoch milliseconds. */
  readonly pendingUntil: number;
  /**
   * The attempt that the signed callback URL names. When no attempt has the report's provider
   * message id, and this attempt has none yet because it is still running or ended ambiguous,
   * the report gives it that id.
   */
  readonly attempt?: { readonly messageId: string; readonly number: number };
}

/**
 * The result of recording a delivery report.
 *
 * - `duplicate`: the same report (source, message id, provider status, code and the providers
 *   that verified it) was recorded before, so nothing changed.
 * - `pending`: no attempt has this provider message id yet; the report is kept until its
 *   `pendingUntil` and applied when the attempt's end is written.
 * - `recorded`: the report belongs to attempt `attempt` of message `messageId`. `attemptChanged`
 *   is false for a report that does not advance the attempt's delivery status, such as a late
 *   `sent` after `delivered`. `messageStatus` is the message's status afterwards.
 */
export type DeliveryReportOutcome =
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'pending' }
  | {
      readonly kind: 'recorded';
      readonly messageId: string;
      readonly attempt: number;
      readonly attemptChanged: boolean;
      readonly messageChanged: boolean;
      readonly messageStatus: MessageStatus;
    };

/** A recipient who asked a provider to stop messages from one sender. */
export interface OptOut {
  /** The sender the opt-out applies to: a number, an alphanumeric ID or a messaging service. */
  readonly sender: string;
  /** Recipient in E.164. */
  readonly recipient: string;
  /** The provider that reported the opt-out. */
  readonly provider: string;
  /** The message whose rejection recorded it. */
  readonly messageId: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/** A response as the client received it, kept so that a retry with the same key gets it again. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A request to reserve an idempotency key for one request. */
export interface IdempotencyClaimRequest {
  /** Name of the API key; idempotency keys of different API keys never meet. */
  readonly principal: string;
  readonly key: string;
  /** Hash of the normalized request body. */
  readonly fingerprint: string;
  /** Id that the message gets if this request claims the key. */
  readonly messageId: string;
  /** Epoch milliseconds. */
  readonly now: number;
  /** When the key may be reused for another request, epoch milliseconds. */
  readonly expiresAt: number;
}

/**
 * What claiming an idempotency key found.
 *
 * - `claimed`: the key was free (or expired) and now belongs to this request.
 * - `mismatch`: the key belongs to a request with another body.
 * - `in_progress`: a request with the same body owns the key and has no response yet;
 *   `interrupted` is true when that request ran in a process that has since stopped.
 * - `completed`: the stored response of the earlier request.
 */
export type IdempotencyClaim =
  | { readonly kind: 'claimed' }
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'in_progress'; readonly messageId: string; readonly interrupted: boolean }
  | { readonly kind: 'completed'; readonly messageId: string; readonly response: StoredResponse };

/**
 * Durable storage of messages, their attempts and status history. Every method returns a promise
 * so that a networked database can implement the same contract; callers await each write before
 * they act on it (respond to the client, call a provider).
 *
 * Methods reject with the driver's error when the database fails; callers treat that as an
 * internal error and do not answer "accepted".
 */
export interface MessageStore {
  /** Writes a new message and its first status change in one transaction. */
  createMessage(message: NewMessage): Promise<void>;
  /** Moves a message to `sending`, `queued` or an end state and appends to its history. */
  updateStatus(id: string, status: MessageStatus, at: number): Promise<void>;
  /**
   * Writes the end state of a message and appends it to its history. For `sent`, when delivery
   * reports already reached the accepted attempt, the message then takes the status they give it,
   * with a second history entry.
   */
  finishMessage(id: string, result: MessageResult): Promise<void>;
  recordAttemptStart(start: AttemptStart): Promise<void>;
  /**
   * Writes the end of an attempt. When it carries a provider message id, delivery reports kept for
   * that id (see `recordDeliveryReport`) are applied to the attempt in the same transaction.
   */
  recordAttemptEnd(end: AttemptEnd): Promise<void>;
  /**
   * Records a provider's delivery report, in one transaction: a repeated report changes nothing,
   * a report for an unknown provider message id is kept until `pendingUntil`, and any other
   * report moves its attempt's delivery status forward (see `messageStatusRank`). When that
   * attempt is the message's accepted one and the message has left `sending`, the message status
   * moves forward too, with a history entry that carries the failure class as `code` and the
   * provider's code.
   */
  recordDeliveryReport(report: NewDeliveryReport): Promise<DeliveryReportOutcome>;
  /**
   * Lists up to `limit` messages due for a delivery check at `now`, oldest due first. A message
   * becomes due when its provider reports a failure, or at the `finalStatusDueAt` of its result
   * when no final status arrived by then. `delivered` ends the check.
   */
  listDeliveryChecks(now: number, limit: number): Promise<DeliveryCheck[]>;
  /**
   * Puts a message back in the queue for a resend, in one transaction: marks its accepted attempt
   * superseded, flags the message `possible_duplicate`, gives it `expiresAt` when it has no
   * deadline, and appends `queued` with `code` to its history. Resolves false, changing nothing,
   * when the message is no longer due or its status is no longer `expectedStatus`.
   */
  resendMessage(resend: ResendRequest): Promise<boolean>;
  /** Ends the delivery check of a message without a resend. */
  clearDeliveryCheck(id: string): Promise<void>;
  /**
   * Ends the delivery check of a message whose status is still `expectedStatus` and returns the
   * message for its escalation, in one transaction. Resolves undefined, changing nothing, when the
   * check has already ended or the status changed, so that only one caller escalates a failure.
   */
  claimUndelivered(
    id: string,
    expectedStatus: MessageStatus,
  ): Promise<UndeliveredMessage | undefined>;
  /** Returns the message with its history and attempts, if `principal` sent it. */
  getMessage(principal: string, id: string): Promise<StoredMessage | undefined>;
  /** Lists the messages of `principal`, newest first. */
  listMessages(principal: string, filter: MessageFilter): Promise<MessagePage>;
  /**
   * Claims an idempotency key atomically, or reports which request owns it. An expired key is claimed as
   * if it were free.
   */
  claimIdempotencyKey(claim: IdempotencyClaimRequest): Promise<IdempotencyClaim>;
  /** Stores the response of the request that owns the key. */
  completeIdempotencyKey(principal: string, key: string, response: StoredResponse): Promise<void>;
  /** Frees a key whose request ended before any provider was called, so a retry runs again. */
  releaseIdempotencyKey(principal: string, key: string): Promise<void>;
  /**
   * Moves up to `limit` queued messages that are due at `now` to `sending`, oldest due first, and
   * returns them. A message is claimed by one sender only.
   */
  claimDueMessages(now: number, limit: number): Promise<ClaimedMessage[]>;
  /**
   * Puts a message that is in `sending` back in the queue until `nextAttemptAt` and counts the
   * finished pass. Resolves false, and changes nothing, when the message is not in `sending`.
   */
  requeueMessage(id: string, nextAttemptAt: number, at: number): Promise<boolean>;
  /**
   * Repairs what a crash left, once at start-up before any sender runs. Attempts with a start and
   * no end become `ambiguous`. Messages in `sending` with a sent attempt that no resend superseded
   * become `sent`. Other async messages and resends in `sending` are queued again, due at once.
   * Other sync messages in `sending` become `failed` with code `interrupted`, flagged
   * `possible_duplicate` when they have an ambiguous attempt.
   */
  recoverInterrupted(now: number): Promise<RecoveryReport>;
  /**
   * Deletes messages in an end state (sent, delivered, undelivered, rejected, failed) last changed
   * before `before`, with their attempts, history, delivery reports and callback deliveries
   * (pending ones included), and idempotency keys and pending delivery reports expired at `now`.
   */
  prune(before: number, now: number): Promise<PruneReport>;
  /**
   * Claims up to `limit` callback deliveries that are due at `now`, oldest due first, and returns
   * them with their attempt count increased by one. A delivery is due when it is pending and its
   * next attempt time has come, or when an earlier claim's lease (`leaseUntil` of that claim) has
   * passed. Per message, only the delivery of the earliest change that is neither delivered nor
   * given up can be claimed, so that a message's changes are posted in order.
   */
  claimDueCallbacks(now: number, limit: number, leaseUntil: number): Promise<CallbackDelivery[]>;
  /** Records how an attempt of a claimed callback delivery ended. */
  finishCallbackAttempt(eventId: string, result: CallbackAttemptResult): Promise<void>;
  /**
   * Makes every claimed callback delivery due at `now` and returns how many there were. Call once
   * at start-up, before any sender runs. In a store that one process owns, every claim left at
   * that point belongs to a process that stopped, and its request may or may not have reached the
   * receiver. A store shared by several processes leaves other processes' claims to their lease.
   */
  releaseCallbackClaims(now: number): Promise<number>;
  /** Records an opt-out; a second one for the same pair keeps the first. */
  recordOptOut(optOut: OptOut): Promise<void>;
  /** Returns the opt-out of `recipient` from any of `senders`, if there is one. */
  findOptOut(senders: readonly string[], recipient: string): Promise<OptOut | undefined>;
  /** Lists opt-outs, newest first, of one recipient when given. */
  listOptOuts(filter: { recipient?: string; limit: number }): Promise<OptOut[]>;
  /** Deletes the opt-out of the pair; resolves false when there was none. */
  deleteOptOut(sender: string, recipient: string): Promise<boolean>;
  /** Closes the database; later calls reject. */
  close(): Promise<void>;
}
