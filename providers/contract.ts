import type { z } from 'zod';

/**
 * How one attempt ended when it did not end in `sent`.
 *
 * - `transient`: the provider may succeed on a later attempt (connection refused, 502, 503).
 * - `throttled`: the transient sub-class for rate limits (429, Twilio 20429, Vonage status 1).
 *   It requests a cool-down and is not a breaker failure.
 * - `provider`: the provider cannot take this message (credentials, account, sender); the next
 *   provider may.
 * - `rejected`: the message itself is at fault (invalid number, opt-out); no provider will take it.
 * - `ambiguous`: the request may have reached the provider, so another attempt may duplicate it.
 */
export type ErrorClass = 'transient' | 'throttled' | 'provider' | 'rejected' | 'ambiguous';

/** Stable problem codes for messages that a provider rejected (`rejected` class). */
export type RejectionCode =
  | 'invalid_recipient'
  | 'recipient_opted_out'
  | 'recipient_unreachable'
  | 'content_rejected'
  | 'invalid_request';

/** The input of one attempt, as the gateway hands it to an adapter. */
export interface SendRequest {
  /** Recipient in E.164, already normalized. */
  readonly to: string;
  readonly body: string;
  /** Sender override (E.164 or alphanumeric sender ID); the adapter's configured sender otherwise. */
  readonly from?: string;
  /** Client reference, passed to providers that have such a field. */
  readonly reference?: string;
  readonly encoding: 'GSM-7' | 'UCS-2';
  /** Running count of attempts for this message across all providers, this one included. */
  readonly attempt: number;
  /**
   * The gateway's own URL for this provider's status callbacks or delivery receipts. Adapters pass
   * it in the provider's per-message callback field; absent when no public base URL is configured.
   */
  readonly statusCallbackUrl?: string;
}

/** The result of an attempt that the provider accepted. */
export interface SendResult {
  readonly providerMessageId: string;
  /** Segments as the provider counts them, when its response reports them. */
  readonly segments?: number;
}

/** Hints about one attempt that travel next to its AbortSignal. */
export interface SendOptions {
  /**
   * Milliseconds until `signal` aborts for a timeout (the per-attempt timeout, or less when the
   * message deadline is nearer). Adapters whose SDK takes no signal set the SDK's own timeout from
   * it, so that its socket closes when the attempt ends.
   */
  readonly timeoutMs?: number;
}

/**
 * An adapter for one configured provider. `send` performs exactly one attempt (no retries of its
 * own), stops when `signal` aborts, and either resolves with a `SendResult` or rejects with a
 * `ProviderError`. Callers should pass `options.timeoutMs` with every signal that has a timeout.
 */
export interface SmsProvider {
  readonly id: string;
  readonly type: string;
  send(request: SendRequest, signal: AbortSignal, options?: SendOptions): Promise<SendResult>;
}

/** Fields of a `ProviderError`. */
export interface ProviderErrorInit {
  readonly errorClass: ErrorClass;
  /** A description of the failure that is safe to log: no secrets, numbers or message text. */
  readonly message: string;
  readonly httpStatus?: number;
  readonly providerCode?: string;
  /** The wait the provider asked for, in milliseconds. */
  readonly retryAfterMs?: number;
  /** For `provider`: the fault is our account, credentials or sender at this provider. */
  readonly configFault?: boolean;
  /** For `rejected`: the problem code the client receives. */
  readonly rejection?: RejectionCode;
  /** True when the adapter had no table row for this response and applied the default rule. */
  readonly unclassified?: boolean;
  readonly cause?: unknown;
}

/** A classified failure of one attempt. Adapters throw only this. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly errorClass: ErrorClass;
  readonly httpStatus: number | undefined;
  readonly providerCode: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly configFault: boolean;
  readonly rejection: RejectionCode | undefined;
  readonly unclassified: boolean;

  constructor(init: ProviderErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.errorClass = init.errorClass;
    this.httpStatus = init.httpStatus;
    this.providerCode = safeProviderCode(init.providerCode);
    this.retryAfterMs = init.retryAfterMs;
    this.configFault = init.configFault ?? false;
    this.rejection =
      init.rejection ?? (init.errorClass === 'rejected' ? 'invalid_request' : undefined);
    this.unclassified = init.unclassified ?? false;
  }
}

// Provider codes reach responses, logs, metrics and the status page. Only short codes made of
// letters, digits and a few separators pass, and any other value from a provider is dropped.
const PROVIDER_CODE = /^[A-Za-z0-9_.:-]{1,32}$/;

function safeProviderCode(code: string | undefined): string | undefined {
  return code !== undefined && PROVIDER_CODE.test(code) ? code : undefined;
}

/** Type guard for `ProviderError`, also across module copies. */
export function isProviderError(value: unknown): value is ProviderError {
  return value instanceof ProviderError || (value as { name?: unknown })?.name === 'ProviderError';
}

/** Run-time services an adapter may use. */
export interface ProviderContext {
  /** Returns the current time in milliseconds since the epoch; injected so tests control it. */
  readonly now: () => number;
  /** Returns a number in [0, 1); injected so tests control it. */
  readonly random: () => number;
}

/**
 * One provider type: the zod shape of its own config keys and a factory. The config schema merges
 * `options` with the keys every provider has (`id`, `type`, `enabled`, retry, breaker).
 */
export interface ProviderDefinition<Type extends string, Shape extends z.ZodRawShape> {
  readonly type: Type;
  readonly options: Shape;
  /** Checks rules that span several options; config validation reports each problem. */
  readonly check?: (options: z.output<z.ZodObject<Shape>>) => readonly OptionProblem[];
  create(id: string, options: z.output<z.ZodObject<Shape>>, context: ProviderContext): SmsProvider;
}

/** A config problem that an adapter's `check` found, on one of its option keys. */
export interface OptionProblem {
  readonly key: string;
  readonly message: string;
}

/** Declares a provider type with its literal name and option types inferred. */
export function defineProvider<const Type extends string, Shape extends z.ZodRawShape>(
  definition: ProviderDefinition<Type, Shape>,
): ProviderDefinition<Type, Shape> {
  return definition;
}
