import { randomUUID } from 'node:crypto';

import { GatewayError } from '../errors.js';
import type { AttemptRecord, GatewayEvents } from '../events.js';
import type { Escalator } from '../escalation/escalator.js';
import type { Router, RoutingResult } from '../routing/router.js';

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
}

export interface DispatchContext {
  readonly requestId: string;
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
 * Gives each message an id and a deadline, routes it, and escalates it when no provider sent it.
 * Tracks messages in flight so that shutdown can wait for them.
 */
export class Dispatcher {
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly router: Router,
    private readonly escalator: Escalator,
    private readonly now: () => number,
    private readonly events: GatewayEvents,
  ) {}

  /** Number of messages being sent now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Sends `message`. Throws `GatewayError` `unknown_route` when its route does not exist. */
  dispatch(message: OutboundMessage, context: DispatchContext): Promise<Dispatch> {
    const route = this.router.selectRoute(message.route, message.callingCode);
    if (!route) {
      throw new GatewayError('unknown_route', {
        detail: `Route "${message.route}" does not exist; omit "route" or use a configured route.`,
        errors: [{ path: 'route', code: 'unknown_route', message: 'no route with this name' }],
      });
    }

    const id = randomUUID();
    const attempts: AttemptRecord[] = [];
    const deadline = this.now() + route.settings.deadline_ms;
    const request = {
      to: message.to,
      body: message.body,
      encoding: message.encoding,
      ...(message.from === undefined ? {} : { from: message.from }),
      ...(message.reference === undefined ? {} : { reference: message.reference }),
    };

    const work = this.router
      .route(route, request, { messageId: id, deadline, attempts })
      .then((result): Dispatch => {
        const escalatedTo = escalatedKinds.has(result.kind)
          ? this.escalator.escalateMessage(
              {
                messageId: id,
                requestId: context.requestId,
                reason: result.kind,
                route: route.name,
                to: message.to,
                body: message.body,
                reference: message.reference,
                attempts: result.attempts,
              },
              route.settings.escalate,
            )
          : [];
        this.events.emit('message', {
          message_id: id,
          route: route.name,
          outcome: result.kind,
          escalated_to: escalatedTo,
        });
        return { id, route: route.name, result, escalatedTo };
      });
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  /** Waits until every message in flight has finished. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) {
      await Promise.allSettled([...this.#inFlight]);
    }
  }
}
