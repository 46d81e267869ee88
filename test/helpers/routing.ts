import type { SendRequest } from '../../providers/contract.js';
import { GatewayEvents } from '../../src/events.js';
import type { AttemptRecord } from '../../src/events.js';
import type { BreakerSettings } from '../../src/resilience/breaker.js';
import { ProviderSlot, type SlotSettings } from '../../src/resilience/provider-slot.js';
import { Router, type Route, type RouteSettings } from '../../src/routing/router.js';
import type { ScriptedProvider } from './scripted-provider.js';

export const breakerDefaults: BreakerSettings = {
  policy: 'consecutive',
  failure_threshold: 3,
  open_duration_ms: 300_000,
  half_open_max_calls: 1,
  success_threshold: 2,
  error_threshold_percentage: 50,
  volume_threshold: 10,
  window_ms: 10_000,
};

export const slotDefaults: SlotSettings = {
  attempt_timeout_ms: 5000,
  retry: { max_attempts: 3, initial_backoff_ms: 250, max_backoff_ms: 2000, budget_ms: 4000 },
  breaker: breakerDefaults,
};

export const routeDefaults: RouteSettings = {
  providers: [],
  deadline_ms: 15_000,
  on_ambiguous: 'failover',
  calling_codes: [],
};

export interface Harness {
  readonly events: GatewayEvents;
  readonly slots: ProviderSlot[];
  readonly router: Router;
  readonly route: Route;
  /** Routes one message and returns the result with its attempts. */
  send(id?: string): ReturnType<Router['route']>;
  shutdown(): void;
}

export interface HarnessOptions {
  readonly slot?: Partial<SlotSettings>;
  readonly breaker?: Partial<BreakerSettings>;
  readonly route?: Partial<RouteSettings>;
  readonly random?: () => number;
}

let counter = 0;

/** Wires scripted providers into slots and a router with the default settings. */
export function harness(providers: ScriptedProvider[], options: HarnessOptions = {}): Harness {
  const events = new GatewayEvents();
  const settings: SlotSettings = {
    ...slotDefaults,
    ...options.slot,
    breaker: { ...breakerDefaults, ...options.breaker },
  };
  const random = options.random ?? (() => 0.5);
  const slots = providers.map(
    (provider) => new ProviderSlot(provider, settings, { now: Date.now, random, events }),
  );
  const routeSettings = {
    ...routeDefaults,
    ...options.route,
    providers: providers.map((p) => p.id),
  };
  const route: Route = { name: 'default', settings: routeSettings, slots };
  const router = new Router([route], Date.now, events);
  const request: Omit<SendRequest, 'attempt'> = {
    to: '+15005550006',
    body: 'disk full on db-1',
    encoding: 'GSM-7',
  };

  return {
    events,
    slots,
    router,
    route,
    send(id = `msg-${(counter += 1)}`) {
      const attempts: AttemptRecord[] = [];
      return router.route(route, request, {
        messageId: id,
        deadline: Date.now() + routeSettings.deadline_ms,
        attempts,
      });
    },
    shutdown() {
      for (const slot of slots) {
        slot.breaker.shutdown();
      }
    },
  };
}
