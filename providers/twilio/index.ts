import twilio from 'twilio';
import type { z } from 'zod';

import {
  defineProvider,
  ProviderError,
  type ProviderContext,
  type SendRequest,
  type SendResult,
  type SmsProvider,
} from '../contract.js';
import { twilioFailure } from './failure.js';
import { AttemptHttpClient } from './http-client.js';
import { twilioOptions } from './options.js';

export type TwilioSettings = z.output<z.ZodObject<typeof twilioOptions>>;

/**
 * Sends through the Twilio Messages API with the official SDK. Each attempt builds its own SDK
 * client around an `AttemptHttpClient`, which is how the attempt's AbortSignal and `base_url`
 * reach the HTTP request: `messages.create` takes no per-call options.
 */
export class TwilioProvider implements SmsProvider {
  readonly type = 'twilio';
  readonly #settings: TwilioSettings;
  readonly #baseUrl: URL;

  constructor(
    readonly id: string,
    settings: TwilioSettings,
    private readonly context: ProviderContext,
  ) {
    if (settings.from === undefined && settings.messaging_service_sid === undefined) {
      throw new Error(`provider ${id}: set from or messaging_service_sid; Twilio needs a sender`);
    }
    this.#settings = { ...settings };
    this.#baseUrl = new URL(settings.base_url);
  }

  async send(request: SendRequest, signal: AbortSignal): Promise<SendResult> {
    if (signal.aborted) {
      throw new ProviderError({
        errorClass: 'transient',
        message: 'Twilio request aborted before it was sent',
      });
    }
    const httpClient = new AttemptHttpClient(this.#baseUrl, signal);
    // The cast is needed because the SDK types `httpClient` as its own RequestClient class, while
    // it documents and calls only `request(opts)`.
    const client = twilio(this.#settings.account_sid, this.#settings.auth_token, {
      httpClient: httpClient as unknown as twilio.RequestClient,
      autoRetry: false,
    });

    try {
      const message = await client.messages.create({
        to: request.to,
        body: request.body,
        attempt: request.attempt,
        ...this.senderOf(request),
        ...(request.statusCallbackUrl === undefined
          ? {}
          : { statusCallback: request.statusCallbackUrl }),
      });
      return { providerMessageId: message.sid, segments: segmentsOf(message.numSegments) };
    } catch (error) {
      throw twilioFailure(error, httpClient.lastResponse, this.context.now());
    }
  }

  /** Picks the request's sender, else the configured `from`, else the Messaging Service. */
  private senderOf(request: SendRequest): { from: string } | { messagingServiceSid: string } {
    const from = request.from ?? this.#settings.from;
    if (from !== undefined) {
      return { from };
    }
    // The constructor ensures that one of the two is configured.
    return { messagingServiceSid: this.#settings.messaging_service_sid ?? '' };
  }
}

/**
 * Parses `num_segments`, which Twilio sends as a string. It is "0" when a Messaging Service has
 * not chosen the sender yet, which means the count is unknown.
 */
function segmentsOf(numSegments: string | undefined): number | undefined {
  const count = Number(numSegments);
  return Number.isInteger(count) && count > 0 ? count : undefined;
}

export const twilioDefinition = defineProvider({
  type: 'twilio',
  options: twilioOptions,
  check(options) {
    return options.from === undefined && options.messaging_service_sid === undefined
      ? [{ key: 'from', message: 'is required unless messaging_service_sid is set' }]
      : [];
  },
  create(id, options, context) {
    return new TwilioProvider(id, options, context);
  },
});
