import { randomBytes } from 'node:crypto';

import type { z } from 'zod';

import {
  defineProvider,
  ProviderError,
  type ProviderContext,
  type SendRequest,
  type SendResult,
  type SmsProvider,
} from '../contract.js';
import { simulatorOptions, type SimulatorMode } from './options.js';

export type SimulatorSettings = z.output<z.ZodObject<typeof simulatorOptions>>;

/** The failure each simulator mode produces, shaped like a real provider's response. */
const failures: Record<Exclude<SimulatorMode, 'ok' | 'hang'>, () => ProviderError> = {
  transient: () =>
    new ProviderError({
      errorClass: 'transient',
      httpStatus: 503,
      message: 'simulated 503 Service Unavailable',
    }),
  throttled: () =>
    new ProviderError({
      errorClass: 'throttled',
      httpStatus: 429,
      retryAfterMs: 1000,
      message: 'simulated 429 Too Many Requests',
    }),
  provider: () =>
    new ProviderError({
      errorClass: 'provider',
      httpStatus: 401,
      configFault: true,
      message: 'simulated 401 authentication failed',
    }),
  rejected: () =>
    new ProviderError({
      errorClass: 'rejected',
      httpStatus: 400,
      rejection: 'invalid_recipient',
      message: 'simulated 400 invalid recipient',
    }),
  ambiguous: () =>
    new ProviderError({
      errorClass: 'ambiguous',
      httpStatus: 504,
      message: 'simulated 504 Gateway Timeout after the request was sent',
    }),
};

/**
 * A provider with no network: it responds after `latency_ms` and fails a `failure_rate` share of
 * attempts the way `mode` sets. Settings change at run time through `simulate`.
 */
export class SimulatorProvider implements SmsProvider {
  readonly type = 'simulator';
  #settings: SimulatorSettings;
  #sent = 0;

  constructor(
    readonly id: string,
    settings: SimulatorSettings,
    private readonly context: ProviderContext,
  ) {
    this.#settings = { ...settings };
  }

  /** The current settings. */
  get settings(): Readonly<SimulatorSettings> {
    return { ...this.#settings };
  }

  /** Number of messages this simulator accepted since start. */
  get sentCount(): number {
    return this.#sent;
  }

  /** Replaces the given settings; omitted ones keep their value. */
  simulate(change: Partial<SimulatorSettings>): Readonly<SimulatorSettings> {
    this.#settings = { ...this.#settings, ...change };
    return this.settings;
  }

  async send(_request: SendRequest, signal: AbortSignal): Promise<SendResult> {
    const { mode, latency_ms: latencyMs, failure_rate: failureRate } = this.#settings;
    const fails = mode !== 'ok' && this.context.random() < failureRate;

    await wait(fails && mode === 'hang' ? Infinity : latencyMs, signal);

    if (fails && mode !== 'hang') {
      throw failures[mode]();
    }
    this.#sent += 1;
    return { providerMessageId: `SIM${randomBytes(12).toString('hex')}`, segments: undefined };
  }
}

/**
 * Resolves after `ms` (never when it is Infinity) and rejects when `signal` aborts first. Built
 * on the global `setTimeout` so that fake timers in tests control it.
 */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = Number.isFinite(ms)
      ? setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, ms)
      : undefined;
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(signal: AbortSignal): ProviderError {
  return new ProviderError({
    errorClass: 'ambiguous',
    message: 'simulated request aborted after it was sent',
    cause: signal.reason,
  });
}

export const simulatorDefinition = defineProvider({
  type: 'simulator',
  options: simulatorOptions,
  create(id, options, context) {
    return new SimulatorProvider(id, options, context);
  },
});
