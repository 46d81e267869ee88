import type { ProviderError, RejectionCode, SendRequest } from '../../providers/contract.js';
import type { EscalationChannelName } from '../escalation/types.js';
import type { AttemptRecord, GatewayEvents } from '../events.js';
import type { MessageAttempts, ProviderSlot } from '../resilience/provider-slot.js';

/** Routing settings of one route, as in a `[routes.<name>]` config table. */
export interface RouteSettings {
  readonly providers: readonly string[];
  readonly deadline_ms: number;
  readonly on_ambiguous: 'failover' | 'stop';
  readonly calling_codes: readonly string[];
  /** Channels notified when no provider sent a message; the escalator defaults to the error log. */
  readonly escalate?: readonly EscalationChannelName[];
  /** Resends after a delivery failure or a missing final status, as `[routes.<name>.delivery]`. */
  readonly delivery?: {
    readonly resend_on: readonly string[];
    readonly final_status_timeout_ms?: number | undefined;
  };
}

/** A route with its name and the slots of its providers, in priority order. */
export interface Route {
  readonly name: string;
  readonly settings: RouteSettings;
  readonly slots: readonly ProviderSlot[];
}

/** The result of routing one message. */
export type RoutingResult =
  | {
      readonly kind: 'sent';
      readonly provider: string;
      readonly providerMessageId: string;
      readonly providerSegments: number | undefined;
      readonly possibleDuplicate: boolean;
      readonly attempts: readonly AttemptRecord[];
    }
  | {
      readonly kind: 'rejected';
      readonly provider: string;
      readonly rejection: RejectionCode;
      readonly detail: string;
      readonly attempts: readonly AttemptRecord[];
    }
  | { readonly kind: 'outcome_unknown'; readonly attempts: readonly AttemptRecord[] }
  | { readonly kind: 'all_providers_failed'; readonly attempts: readonly AttemptRecord[] }
  | { readonly kind: 'deadline_exceeded'; readonly attempts: readonly AttemptRecord[] }
  | {
      readonly kind: 'no_provider_available';
      /**
       * When the soonest provider of the route may take traffic again; `Infinity` when every
       * provider is drained.
       */
      readonly retryAt: number;
      readonly attempts: readonly AttemptRecord[];
    };

/** Chooses a route for each message and tries its providers in order. */
export class Router {
  readonly #routes: ReadonlyMap<string, Route>;
  readonly #byCallingCode = new Map<string, Route>();

  constructor(
    routes: readonly Route[],
    private readonly now: () => number,
    private readonly events: GatewayEvents,
  ) {
    this.#routes = new Map(routes.map((route) => [route.name, route]));
    for (const route of routes) {
      for (const code of route.settings.calling_codes) {
        this.#byCallingCode.set(code, route);
      }
    }
  }

  /**
   * Returns the named route, or, when no name is given, the route that lists the recipient's
   * calling code, else `default`. Returns undefined for an unknown name.
   */
  selectRoute(name: string | undefined, callingCode: string): Route | undefined {
    if (name !== undefined) {
      return this.#routes.get(name);
    }
    return this.#byCallingCode.get(callingCode) ?? this.#routes.get('default');
  }

  /**
   * Sends one message through the first provider of `route` that takes it. Skips providers that
   * are drained, whose breaker is open or that cool down; never fails over after a `rejected`
   * response; after an `ambiguous` one, fails over or stops as the route's `on_ambiguous` setting decides.
   */
  async route(
    route: Route,
    request: Omit<SendRequest, 'attempt'>,
    message: MessageAttempts,
  ): Promise<RoutingResult> {
    const { attempts } = message;
    let possibleDuplicate = false;
    let tried = false;

    for (const slot of route.slots) {
      if (this.now() >= message.deadline) {
        return deadlineResult(possibleDuplicate, attempts);
      }
      if (slot.availability() !== 'available') {
        continue;
      }

      const outcome = await slot.send(request, message);
      switch (outcome.kind) {
        case 'sent':
          return {
            kind: 'sent',
            provider: slot.id,
            providerMessageId: outcome.result.providerMessageId,
            providerSegments: outcome.result.segments,
            possibleDuplicate,
            attempts,
          };
        case 'rejected':
          return rejectedResult(slot.id, outcome.error, attempts);
        case 'deadline':
          return deadlineResult(possibleDuplicate, attempts);
        case 'unavailable':
          continue;
        case 'ambiguous':
          tried = true;
          if (route.settings.on_ambiguous === 'stop') {
            return { kind: 'outcome_unknown', attempts };
          }
          possibleDuplicate = true;
          break;
        case 'failed':
          tried = true;
          break;
      }
      if (slot !== route.slots.at(-1)) {
        this.events.emit('failover', {
          message_id: message.messageId,
          from: slot.id,
          reason: outcome.error.errorClass,
        });
      }
    }

    if (this.now() >= message.deadline) {
      return deadlineResult(possibleDuplicate, attempts);
    }
    if (!tried) {
      return { kind: 'no_provider_available', retryAt: this.#soonestAvailable(route), attempts };
    }
    return { kind: 'all_providers_failed', attempts };
  }

  /**
   * Returns the first provider of `route` that would take a message now, in route order, or
   * undefined when none would.
   */
  nextProvider(route: Route): ProviderSlot | undefined {
    return route.slots.find((slot) => slot.availability() === 'available');
  }

  /** Returns every route, in config order. */
  get routes(): readonly Route[] {
    return [...this.#routes.values()];
  }

  #soonestAvailable(route: Route): number {
    return Math.min(...route.slots.map((slot) => slot.availableAt()));
  }
}

/**
 * Returns the result for a message whose deadline passed unsent. After an ambiguous attempt a
 * provider may have accepted it, so the outcome is unknown rather than a plain miss.
 */
function deadlineResult(
  afterAmbiguous: boolean,
  attempts: readonly AttemptRecord[],
): RoutingResult {
  return afterAmbiguous
    ? { kind: 'outcome_unknown', attempts }
    : { kind: 'deadline_exceeded', attempts };
}

function rejectedResult(
  provider: string,
  error: ProviderError,
  attempts: readonly AttemptRecord[],
): RoutingResult {
  return {
    kind: 'rejected',
    provider,
    rejection: error.rejection ?? 'invalid_request',
    detail: error.message,
    attempts,
  };
}
