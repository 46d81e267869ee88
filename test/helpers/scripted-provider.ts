import {
  ProviderError,
  type ProviderErrorInit,
  type SendRequest,
  type SendResult,
  type SmsProvider,
} from '../../providers/contract.js';

/**
 * One scripted response: after `delayMs`, succeed or fail with `error`. `hang` waits for the abort,
 * which is `ambiguous`, or `transient` when `connecting` says the request was never written.
 */
export type Step =
  | { readonly ok: true; readonly delayMs?: number }
  | { readonly error: ProviderErrorInit; readonly delayMs?: number }
  | { readonly hang: true; readonly connecting?: boolean };

/**
 * A provider for resilience tests under fake timers: it responds to each call with the next step of
 * its script (the last step repeats), honours the AbortSignal the way a real adapter does (an
 * abort after the request was sent is `ambiguous`), and records every call.
 */
export class ScriptedProvider implements SmsProvider {
  readonly type = 'scripted';
  readonly calls: SendRequest[] = [];
  readonly aborted: SendRequest[] = [];
  #script: Step[];

  constructor(
    readonly id: string,
    script: Step[] = [{ ok: true }],
  ) {
    this.#script = [...script];
  }

  /** Replaces the rest of the script. */
  script(steps: Step[]): void {
    this.#script = [...steps];
  }

  send(request: SendRequest, signal: AbortSignal): Promise<SendResult> {
    this.calls.push(request);
    const step = this.#script.length > 1 ? this.#script.shift()! : this.#script[0]!;
    const number = this.calls.length;

    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        clearTimeout(timer);
        this.aborted.push(request);
        const unsent = 'hang' in step && step.connecting === true;
        reject(
          new ProviderError(
            unsent
              ? { errorClass: 'transient', message: 'aborted while connecting' }
              : { errorClass: 'ambiguous', message: 'aborted after sending' },
          ),
        );
      };
      const settle = (): void => {
        signal.removeEventListener('abort', onAbort);
        if ('ok' in step) {
          resolve({ providerMessageId: `${this.id}-${number}`, segments: 1 });
        } else if ('error' in step) {
          reject(new ProviderError(step.error));
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if ('hang' in step) {
        return;
      }
      // Without a delay the response comes on the microtask queue, so tests need not move time.
      if (step.delayMs) {
        timer = setTimeout(settle, step.delayMs);
      } else {
        queueMicrotask(settle);
      }
    });
  }
}

export const ok: Step = { ok: true };
export const unavailable: Step = {
  error: { errorClass: 'transient', httpStatus: 503, message: '503 Service Unavailable' },
};
export function throttled(retryAfterMs?: number): Step {
  return {
    error: {
      errorClass: 'throttled',
      httpStatus: 429,
      providerCode: '20429',
      message: '429 Too Many Requests',
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    },
  };
}
export const invalidRecipient: Step = {
  error: {
    errorClass: 'rejected',
    httpStatus: 400,
    providerCode: '21211',
    rejection: 'invalid_recipient',
    message: 'invalid To',
  },
};
export const authFailed: Step = {
  error: {
    errorClass: 'provider',
    httpStatus: 401,
    providerCode: '20003',
    configFault: true,
    message: 'authentication failed',
  },
};
export const serverError: Step = {
  error: { errorClass: 'ambiguous', httpStatus: 500, message: '500 Internal Server Error' },
};
