import { SimulatorProvider } from '../../providers/simulator/index.js';
import type { Gateway } from '../gateway.js';
import type { ProviderSlot } from '../resilience/provider-slot.js';
import type { Route } from '../routing/router.js';

function isoOrNull(epochMs: number | null): string | null {
  return epochMs === null || epochMs === 0 ? null : new Date(epochMs).toISOString();
}

/** The status of one provider, as `GET /v1/providers` returns it. */
export function providerStatus(gateway: Gateway, slot: ProviderSlot) {
  const breaker = slot.breaker.snapshot();
  const { provider } = slot;
  return {
    id: slot.id,
    type: provider.type,
    state: breaker.state,
    available: slot.availability() === 'available',
    availability: slot.availability(),
    drained: slot.drained,
    since: new Date(breaker.since).toISOString(),
    open_until: isoOrNull(breaker.open_until),
    cooldown_until: isoOrNull(slot.cooldownUntil),
    consecutive_failures: breaker.consecutive_failures,
    opened_count: breaker.opened_count,
    counts: gateway.stats.counts(slot.id),
    counters_since: new Date(gateway.stats.countersSince(slot.id)).toISOString(),
    last_error: gateway.stats.lastError(slot.id),
    window: gateway.stats.window(slot.id),
    history: gateway.stats.history(slot.id),
    routes: routesOf(gateway, slot.id),
    ...(provider instanceof SimulatorProvider ? { simulator: provider.settings } : {}),
  };
}

export type ProviderStatus = ReturnType<typeof providerStatus>;

/**
 * Returns one route as status output shows it: its providers in order and the one that would
 * send now.
 */
export function routeStatus(gateway: Gateway, route: Route) {
  const next = gateway.router.nextProvider(route);
  const soonest = Math.min(...route.slots.map((slot) => slot.availableAt()));
  return {
    name: route.name,
    providers: route.slots.map((slot) => slot.id),
    next_provider: next?.id ?? null,
    /** When a provider may take traffic again, while none would now; null while drained. */
    available_at: next || !Number.isFinite(soonest) ? null : new Date(soonest).toISOString(),
  };
}

/**
 * Every provider and route with the server's time, as `GET /v1/providers` returns it and the
 * status page's live updates carry it.
 */
export function providersDocument(gateway: Gateway) {
  return {
    now: new Date(gateway.now()).toISOString(),
    providers: [...gateway.slots.values()].map((slot) => providerStatus(gateway, slot)),
    routes: gateway.router.routes.map((route) => routeStatus(gateway, route)),
  };
}

export type ProvidersDocument = ReturnType<typeof providersDocument>;

function routesOf(gateway: Gateway, id: string): string[] {
  return Object.entries(gateway.config.routes)
    .filter(([, route]) => route.providers.includes(id))
    .map(([name]) => name);
}

/**
 * The gateway's health: `ok` while every provider of the default route can take traffic,
 * `degraded` while at least one can, `down` when none can. A degraded escalation channel makes
 * `ok` `degraded`, never `down`, because messages still go out.
 */
export function healthStatus(gateway: Gateway) {
  const defaultRoute = gateway.config.routes.default?.providers ?? [];
  const providers = Object.fromEntries(
    [...gateway.slots.values()].map((slot) => [slot.id, slot.availability()]),
  );
  const usable = defaultRoute.filter((id) => providers[id] === 'available').length;
  const escalation = gateway.escalator.health();
  const escalationDegraded = Object.values(escalation).some((channel) => channel.status !== 'ok');
  let status: 'ok' | 'degraded' | 'down' = 'ok';
  if (usable === 0) {
    status = 'down';
  } else if (usable < defaultRoute.length || escalationDegraded) {
    status = 'degraded';
  }
  return {
    status,
    default_route: { providers: defaultRoute.length, available: usable },
    providers,
    escalation,
  } as const;
}

/**
 * Readiness: ready while at least one provider of the default route can take traffic. Degraded
 * parts that do not stop sending, such as an escalation channel, leave it ready.
 */
export function readinessStatus(gateway: Gateway) {
  const { default_route: defaultRoute } = healthStatus(gateway);
  return {
    status: defaultRoute.available > 0 ? 'ready' : 'not_ready',
    default_route: defaultRoute,
  } as const;
}
