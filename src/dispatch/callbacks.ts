import { signWebhook, webhookHeaders } from '../escalation/index.js';
import type { MessageResult } from '../store/index.js';

/** Waits before the second, third and fourth delivery of a status callback. */
const RETRY_DELAYS_MS = [1000, 5000, 30_000];
const REQUEST_TIMEOUT_MS = 5000;

/** A message whose end state a client asked to hear about at `callbackUrl`. */
export interface CallbackMessage {
  readonly id: string;
  readonly callbackUrl: string;
  readonly reference?: string | undefined;
}

/**
 * Posts a message's end state to its `callback_url` as JSON, signed as the escalation webhook is
 * (`X-SMS-Relay-Timestamp` and `X-SMS-Relay-Signature`) when a webhook secret is configured. A
 * 2xx response ends the delivery; 408, 429, 5xx and network errors are retried after 1, 5 and
 * 30 s; any other status gives up.
 *
 * NOTE: retries live in memory, so a restart drops the callbacks still pending.
 */
export class CallbackNotifier {
  readonly #pending = new Set<Promise<void>>();
  /** Receives each callback that could not be delivered; `startServer` logs them. */
  onFailure: (messageId: string, error: string) => void = () => undefined;

  constructor(
    private readonly secret: string | undefined,
    private readonly now: () => number,
  ) {}

  /** Starts delivering the end state of `message` and returns at once. */
  notify(message: CallbackMessage, result: MessageResult): void {
    const body = Buffer.from(
      JSON.stringify({
        event: 'message.status',
        message_id: message.id,
        status: result.status,
        code: result.code,
        provider: result.provider,
        provider_message_id: result.providerMessageId,
        possible_duplicate: result.possibleDuplicate,
        reference: message.reference ?? null,
        at: new Date(result.at).toISOString(),
      }),
    );
    const work = this.#deliver(message, body).catch((error: unknown) =>
      this.onFailure(message.id, String(error)),
    );
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }

  /** Waits for the deliveries in progress, up to `timeoutMs` when it is finite. */
  async flush(timeoutMs: number): Promise<void> {
    const settled = Promise.allSettled([...this.#pending]);
    if (!Number.isFinite(timeoutMs)) {
      await settled;
      return;
    }

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([settled, timeout]);
    clearTimeout(timer);
  }

  async #deliver(message: CallbackMessage, body: Buffer): Promise<void> {
    let lastError = '';
    for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt += 1) {
      if (attempt > 0) {
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt - 1]).unref());
      }

      const outcome = await this.#post(message.callbackUrl, body);
      if (outcome === 'delivered') {
        return;
      }
      lastError = outcome.error;
      if (!outcome.retryable) {
        break;
      }
    }
    this.onFailure(message.id, lastError);
  }

  async #post(
    url: string,
    body: Buffer,
  ): Promise<'delivered' | { retryable: boolean; error: string }> {
    const timestamp = Math.floor(this.now() / 1000);
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (this.secret !== undefined) {
      headers[webhookHeaders.timestamp] = String(timestamp);
      headers[webhookHeaders.signature] = signWebhook(this.secret, timestamp, body);
    }

    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) {
        return 'delivered';
      }
      const retryable =
        response.status === 408 || response.status === 429 || response.status >= 500;
      return { retryable, error: `callback returned HTTP ${response.status}` };
    } catch (error) {
      const name = error instanceof Error ? error.name : typeof error;
      return { retryable: true, error: `callback request failed with ${name}` };
    }
  }
}
