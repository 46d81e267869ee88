import { SimulatorProvider } from '../../providers/simulator/index.js';
import type { Gateway } from '../gateway.js';
import type { ProviderSlot } from '../resilience/provider-slot.js';

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
    since: new Date(breaker.since).toISOString(),
    open_until: isoOrNull(breaker.open_until),
    cooldown_until: isoOrNull(slot.cooldownUntil),
    consecutive_failures: breaker.consecutive_failures,
    opened_count: breaker.opened_count,
    counts: gateway.stats.counts(slot.id),
    last_error: gateway.stats.lastError(slot.id),
    routes: routesOf(gateway, slot.id),
    ...(provider instanceof SimulatorProvider ? { simulator: provider.settings } : {}),
  };
}

function routesOf(gateway: Gateway, id: string): string[] {
  return Object.entries(gateway.config.routes)
    .filter(([, route]) => route.providers.includes(id))
    .map(([name]) => name);
}

/**
 * The gateway's health: `ok` while every provider of the default route can take traffic,
 * `degraded` while at least one can, `down` when none can.
 */
export function healthStatus(gateway: Gateway) {
  const defaultRoute = gateway.config.routes.default?.providers ?? [];
  const providers = Object.fromEntries(
    [...gateway.slots.values()].map((slot) => [slot.id, slot.availability()]),
  );
  const usable = defaultRoute.filter((id) => providers[id] === 'available').length;
  const status = usable === 0 ? 'down' : usable < defaultRoute.length ? 'degraded' : 'ok';
  return {
    status,
    default_route: { providers: defaultRoute.length, available: usable },
    providers,
  } as const;
}
