import type { Config } from '../config/index.js';
import type { Route, RoutingResult } from '../routing/router.js';
import type { MessageStore, OptOut } from '../store/index.js';

/** The parts of a message that decide which sender it goes out from. */
export interface SenderChoice {
  readonly id: string;
  /** Recipient in E.164. */
  readonly to: string;
  /** The client's sender override; each provider's configured sender otherwise. */
  readonly from?: string | undefined;
}

/**
 * Opt-outs by (sender, recipient) pair. A provider's `rejected` response with code
 * `recipient_opted_out` records the pair; later messages for it are refused before any provider
 * call, because failing over to another provider would route around the recipient's choice.
 */
export class OptOutPolicy {
  /** Each provider's configured sender: `from`, else the Twilio messaging service. */
  readonly #senders: ReadonlyMap<string, string>;

  constructor(
    private readonly store: MessageStore,
    providers: Config['providers'],
  ) {
    this.#senders = new Map(providers.map((provider) => [provider.id, defaultSender(provider)]));
  }

  /**
   * Returns the opt-out that blocks `message` on `route`, if any. Without a sender override, a
   * pair with the configured sender of any provider of the route blocks it.
   */
  blocking(message: SenderChoice, route: Route): Promise<OptOut | undefined> {
    const senders =
      message.from === undefined
        ? route.slots.map((slot) => this.senderOf(slot.id))
        : [message.from];
    return this.store.findOptOut(senders, message.to);
  }

  /** Records the pair when `result` is a provider's opt-out rejection. */
  async record(message: SenderChoice, result: RoutingResult, at: number): Promise<void> {
    if (result.kind !== 'rejected' || result.rejection !== 'recipient_opted_out') {
      return;
    }
    await this.store.recordOptOut({
      sender: message.from ?? this.senderOf(result.provider),
      recipient: message.to,
      provider: result.provider,
      messageId: message.id,
      createdAt: at,
    });
  }

  /** Returns the sender that provider `id` uses when a message names none. */
  senderOf(id: string): string {
    return this.#senders.get(id) ?? `provider:${id}`;
  }
}

function defaultSender(provider: Config['providers'][number]): string {
  const options = provider.options as { from?: string; messaging_service_sid?: string };
  return options.from ?? options.messaging_service_sid ?? `provider:${provider.id}`;
}
