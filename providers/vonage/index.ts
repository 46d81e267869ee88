import { Vonage } from '@vonage/server-sdk';
import type { z } from 'zod';

import {
  defineProvider,
  ProviderError,
  type ProviderContext,
  type SendOptions,
  type SendRequest,
  type SendResult,
  type SmsProvider,
} from '../contract.js';
import {
  failedPartsFailure,
  httpStatusFailure,
  networkFailure,
  type VonagePart,
} from './failure.js';
import { vonageOptions } from './options.js';

/** The options of a `vonage` provider that sending uses; the signature keys are for receipts. */
export type VonageSettings = Pick<
  z.output<z.ZodObject<typeof vonageOptions>>,
  'api_key' | 'api_secret' | 'from' | 'base_url'
>;

type SmsSendParams = Parameters<Vonage['sms']['send']>[0];

/**
 * SDK timeout when the caller passes no `timeoutMs`: the gateway's default per-attempt timeout.
 * NOTE: a caller whose signal allows more than this gets an early `ambiguous` timeout.
 */
export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Sends through the Vonage SMS API (`POST /sms/json`) with @vonage/server-sdk 3.27.
 *
 * NOTE: the SDK takes no AbortSignal, only a client-level `timeout`. Each attempt therefore builds
 * its own client whose timeout is the time the signal allows (`options.timeoutMs`), so that the
 * SDK closes the socket when the attempt times out. When the signal aborts for another reason
 * (shutdown, an earlier deadline), `send` rejects at once but the SDK's request keeps running
 * until its own timeout, and a late response is dropped. The SDK also hides how far a request got,
 * and it reuses keep-alive sockets of Node's global agent, so a reset or timeout counts as
 * `ambiguous` unless it failed while connecting.
 */
export class VonageProvider implements SmsProvider {
  readonly type = 'vonage';
  readonly #settings: VonageSettings;
  readonly #restHost: string;

  constructor(
    readonly id: string,
    settings: VonageSettings,
    private readonly context: ProviderContext,
  ) {
    this.#settings = { ...settings };
    this.#restHost = settings.base_url.replace(/\/+$/, '');
  }

  async send(
    request: SendRequest,
    signal: AbortSignal,
    options?: SendOptions,
  ): Promise<SendResult> {
    if (signal.aborted) {
      throw new ProviderError({
        errorClass: 'transient',
        message: 'Vonage request aborted before it was sent',
      });
    }
    const vonage = new Vonage(
      { apiKey: this.#settings.api_key, apiSecret: this.#settings.api_secret },
      { restHost: this.#restHost, timeout: sdkTimeoutMs(options?.timeoutMs) },
    );
    const sending = vonage.sms.send(this.paramsOf(request));
    // After an abort `send` no longer awaits `sending`, so its later rejection needs a handler.
    sending.catch(() => undefined);
    const abort = rejectOnAbort(signal);

    let response: Awaited<typeof sending>;
    try {
      response = await Promise.race([sending, abort.promise]);
    } catch (error) {
      throw this.failureOf(error);
    } finally {
      abort.dispose();
    }
    return resultOf(response.messages as readonly VonagePart[] | undefined);
  }

  private paramsOf(request: SendRequest): SmsSendParams {
    const params = {
      // Vonage wants international digits without the leading `+`.
      to: request.to.replace(/^\+/, ''),
      from: senderOf(request.from ?? this.#settings.from),
      text: request.body,
      type: request.encoding === 'UCS-2' ? 'unicode' : 'text',
      ...(request.reference === undefined ? {} : { clientRef: request.reference }),
      ...(request.statusCallbackUrl === undefined ? {} : { callback: request.statusCallbackUrl }),
    };
    // The SDK types `type` as its own string enum, which has these two values.
    return params as SmsSendParams;
  }

  /**
   * Maps what the SDK threw to a `ProviderError`. The SDK's errors are never kept as `cause` or
   * quoted, because its `VetchError.config` contains the Authorization header.
   */
  private failureOf(error: unknown): ProviderError {
    if (error instanceof SignalAborted) {
      return new ProviderError({
        errorClass: 'ambiguous',
        message: 'Vonage request aborted; it may have been sent',
      });
    }
    const parts = failedPartsOf(error);
    if (parts !== undefined) {
      return failedPartsFailure(parts);
    }
    const response = httpResponseOf(error);
    if (response !== undefined) {
      // Free the socket: the SMS API's HTTP-layer errors are classified by status alone.
      response.body?.destroy?.();
      const header = (name: string): string | undefined => response.headers.get(name) ?? undefined;
      return httpStatusFailure(response.status, header, this.context.now());
    }
    const name = (error as { name?: unknown } | null)?.name;
    const code = (error as { code?: unknown } | null)?.code;
    if (name === 'AbortError' || name === 'FetchError' || typeof code === 'string') {
      return networkFailure(typeof code === 'string' ? code : undefined, name === 'AbortError');
    }
    return new ProviderError({
      errorClass: 'provider',
      unclassified: true,
      message: `Vonage SDK failed (${typeof name === 'string' ? name : typeof error})`,
    });
  }
}

function senderOf(from: string): string {
  return /^\+\d+$/.test(from) ? from.slice(1) : from;
}

function sdkTimeoutMs(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined || !Number.isFinite(timeoutMs)) {
    return DEFAULT_TIMEOUT_MS;
  }
  // The SDK treats 0 as "no timeout".
  return Math.max(1, Math.ceil(timeoutMs));
}

function resultOf(parts: readonly VonagePart[] | undefined): SendResult {
  const messageId = parts?.[0]?.['message-id'];
  if (parts === undefined || messageId === undefined || messageId === '') {
    throw new ProviderError({
      errorClass: 'ambiguous',
      httpStatus: 200,
      message: 'Vonage returned HTTP 200 without a message-id',
    });
  }
  return { providerMessageId: messageId, segments: parts.length };
}

/**
 * Returns the parts of an `SMSFailure` (the base of `MessageSendAllFailure` and
 * `MessageSendPartialFailure`). The check is structural because @vonage/sms is not a direct
 * dependency and ships separate CommonJS and ESM copies of its classes.
 */
function failedPartsOf(error: unknown): readonly VonagePart[] | undefined {
  const candidate = error as { getFailedMessages?: unknown; response?: { messages?: unknown } };
  if (typeof candidate?.getFailedMessages !== 'function') {
    return undefined;
  }
  const messages = candidate.response?.messages;
  return Array.isArray(messages) && messages.length > 0 ? (messages as VonagePart[]) : undefined;
}

/** The fetch `Response` of a `VetchError` (HTTP status 400 or more, or an unreadable body). */
interface VetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body?: { destroy?(): void } | null;
}

function httpResponseOf(error: unknown): VetchResponse | undefined {
  const response = (error as { response?: Partial<VetchResponse> } | null)?.response;
  if (typeof response?.status === 'number' && typeof response.headers?.get === 'function') {
    return response as VetchResponse;
  }
  return undefined;
}

class SignalAborted extends Error {}

function rejectOnAbort(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let onAbort = (): void => undefined;
  const promise = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new SignalAborted());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => undefined);
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

export const vonageDefinition = defineProvider({
  type: 'vonage',
  options: vonageOptions,
  create(id, options, context) {
    return new VonageProvider(id, options, context);
  },
});
