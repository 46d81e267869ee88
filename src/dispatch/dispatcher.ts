import { randomUUID } from 'node:crypto';

import { GatewayError } from '../errors.js';
import type { AttemptRecord, GatewayEvents } from '../events.js';
import type { Escalator } from '../escalation/escalator.js';
import type { Route, Router, RoutingResult } from '../routing/router.js';
import type { CallbackFormat, MessageStore } from '../store/index.js';
import { escalateUnsent } from './escalate.js';
import { messageResult, StoreJournal } from './journal.js';
import type { OptOutPolicy } from './opt-outs.js';

/** A validated message, ready to route. */
export interface OutboundMessage {
  /** Recipient in E.164. */
  readonly to: string;
  /** The recipient's country calling code, such as `44`. */
  readonly callingCode: string;
  readonly body: string;
  readonly from?: string;
  readonly route?: string;
  readonly reference?: string;
  readonly encoding: 'GSM-7' | 'UCS-2';
  /** Segments as the gateway counts them. */
  readonly segments: number;
  /** URL that receives each status change of the message after its creation. */
  readonly callbackUrl?: string;
  /** Format of the requests to `callbackUrl`; `json` when absent. */
  readonly callbackFormat?: CallbackFormat;
}

export interface DispatchContext {
  readonly requestId: string;
  /** Name of the API key that sent the message. */
  readonly principal: string;
  /** Id for the message; a new UUID when absent. */
  readonly messageId?: string;
}

/** The result of dispatching one message. */
export interface Dispatch {
  readonly id: string;
  readonly route: string;
  readonly result: RoutingResult;
  /** Escalation channels the failure was handed to; empty when the message was sent. */
  readonly escalatedTo: readonly string[];
}

// Results after which a person must hear that the message did not (or may not) go out.
const escalatedKinds = new Set<RoutingResult['kind']>([
  'all_providers_failed',
  'deadline_exceeded',
  'no_provider_available',
  'outcome_unknown',
]);

/**
 * Gives each message an id and a deadline, writes it to the store, routes it, records the outcome
 * and escalates it when no provider sent it. Tracks messages in flight so that shutdown can wait
 * for them.
 */
export class Dispatcher {
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly router: Router,
    private readonly escalator: Escalator,
    private readonly store: MessageStore,
    private readonly optOuts: OptOutPolicy,
    private readonly now: () => number,
    private readonly events: GatewayEvents,
  ) {}

  /** Number of messages being sent now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Sends `message` and resolves once its outcome is stored. Throws `GatewayError`
   * `unknown_route` when its route does not exist; rejects with the store's error when a write
   * fails, and then no provider is called unless the message was already written.
   */
  dispatch(message: OutboundMessage, context: DispatchContext): Promise<Dispatch> {
    const route = this.selectRoute(message);
    return this.#track(this.#send(context.messageId ?? randomUUID(), route, message, context));
  }

  /** Returns the route of `message`. Throws `GatewayError` `unknown_route` when there is none. */
  selectRoute(message: OutboundMessage): Route {
    const route = this.router.selectRoute(message.route, message.callingCode);
    if (!route) {
      throw new GatewayError('unknown_route', {
        detail: `Route "${message.route}" does not exist; omit "route" or use a configured route.`,
        errors: [{ path: 'route', code: 'unknown_route', message: 'no route with this name' }],
      });
    }
    return route;
  }

  /** Waits until every message in flight has finished. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) {
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  async #send(
    id: string,
    route: Route,
    message: OutboundMessage,
    context: DispatchContext,
  ): Promise<Dispatch> {
    const createdAt = this.now();
    // Not awaited here: the first attempt start is issued in the same turn of the event loop, so
    // both share one commit, and the journal delays the provider call until both are on disk.
    const written = this.store.createMessage({
      id,
      principal: context.principal,
      requestId: context.requestId,
      mode: 'sync',
      route: route.name,
      to: message.to,
      body: message.body,
      from: message.from,
      reference: message.reference,
      encoding: message.encoding,
      segments: message.segments,
      status: 'sending',
      createdAt,
      expiresAt: undefined,
      callbackUrl: message.callbackUrl,
      callbackFormat: message.callbackFormat,
    });
    // Marks the rejection as handled while routing runs; the `await` below still throws it.
    written.catch(() => undefined);

    // NOTE: when a later write fails, the message stays in `sending` until the next start, whose
    // recovery fails it with code `interrupted`. The client gets a 500, and unlike an async
    // message, the gateway does not requeue it.
    const attempts: AttemptRecord[] = [];
    const journal = new StoreJournal(this.store, id, { written });
    const result = await this.router.route(route, sendRequest(message), {
      messageId: id,
      deadline: createdAt + route.settings.deadline_ms,
      attempts,
      journal,
    });
    // Routing that started no attempt did not wait for the message write.
    await written;
    const escalatedTo = this.#escalate(id, route, message, context, result);
    await this.optOuts.record({ ...message, id }, result, this.now());
    const timeoutMs = route.settings.delivery?.final_status_timeout_ms;
    const stored = messageResult(result, this.now(), timeoutMs);
    // The last attempt's end and the end state share one commit.
    await Promise.all([this.store.finishMessage(id, stored), journal.settled()]);

    this.events.emit('message', {
      message_id: id,
      route: route.name,
      outcome: result.kind,
      escalated_to: escalatedTo,
    });
    return { id, route: route.name, result, escalatedTo };
  }

  #escalate(
    id: string,
    route: Route,
    message: OutboundMessage,
    context: DispatchContext,
    result: RoutingResult,
  ): readonly string[] {
    if (!escalatedKinds.has(result.kind)) {
      return [];
    }
    const unsent = { ...message, id, requestId: context.requestId, route: route.name };
    return escalateUnsent(this.escalator, unsent, route.settings, result.kind, result.attempts);
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work)).catch(() => undefined);
    return work;
  }
}

/** Returns what every attempt of `message` sends to the provider. */
export function sendRequest(
  message: Pick<OutboundMessage, 'to' | 'body' | 'encoding' | 'from' | 'reference'>,
) {
  return {
    to: message.to,
    body: message.body,
    encoding: message.encoding,
    ...(message.from === undefined ? {} : { from: message.from }),
    ...(message.reference === undefined ? {} : { reference: message.reference }),
  };
}
