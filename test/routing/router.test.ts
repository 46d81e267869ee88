import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { GatewayEvents } from '../../src/events.js';
import { ProviderSlot } from '../../src/resilience/provider-slot.js';
import { Router, type Route } from '../../src/routing/router.js';
import { harness, routeDefaults, slotDefaults, type Harness } from '../helpers/routing.js';
import {
  ok,
  ScriptedProvider,
  serverError,
  unavailable,
  type Step,
} from '../helpers/scripted-provider.js';

let open: Harness[] = [];

function track(h: Harness): Harness {
  open.push(h);
  return h;
}

async function openBreaker(h: Harness, provider: ScriptedProvider, next: Step[]): Promise<void> {
  provider.script([unavailable]);
  const result = h.send();
  // Long enough for the retries, well short of the open duration.
  await vi.advanceTimersByTimeAsync(10_000);
  await result;
  expect(h.slots[0]?.breaker.state).toBe('open');
  provider.script(next);
}

async function untilHalfOpen(h: Harness): Promise<void> {
  const openUntil = h.slots[0]?.breaker.openUntil ?? Date.now();
  await vi.advanceTimersByTimeAsync(openUntil - Date.now());
}

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
});

afterEach(() => {
  for (const h of open) {
    h.shutdown();
  }
  open = [];
  vi.useRealTimers();
});

describe('failover', () => {
  it('skips a provider whose breaker is open', async () => {
    const primary = new ScriptedProvider('primary');
    const secondary = new ScriptedProvider('secondary');
    const h = track(harness([primary, secondary]));
    await openBreaker(h, primary, [ok]);
    const callsBefore = primary.calls.length;

    const outcome = await h.send();

    expect(outcome.kind).toBe('sent');

    expect(outcome.kind === 'sent' ? outcome.provider : undefined).toBe('secondary');
    expect(primary.calls).toHaveLength(callsBefore);
  });

  it('admits one half-open trial under 50 concurrent sends', async () => {
    const primary = new ScriptedProvider('primary');
    const secondary = new ScriptedProvider('secondary');
    const h = track(harness([primary, secondary]));
    await openBreaker(h, primary, [{ ok: true, delayMs: 100 }]);
    await untilHalfOpen(h);
    expect(h.slots[0]?.breaker.state).toBe('half_open');
    const callsBefore = primary.calls.length;

    const results = Array.from({ length: 50 }, () => h.send());
    await vi.advanceTimersByTimeAsync(100);
    const outcomes = await Promise.all(results);

    const viaPrimary = outcomes.filter((o) => o.kind === 'sent' && o.provider === 'primary');
    const viaSecondary = outcomes.filter((o) => o.kind === 'sent' && o.provider === 'secondary');
    expect(primary.calls.length - callsBefore).toBe(1);
    expect(viaPrimary).toHaveLength(1);
    expect(viaSecondary).toHaveLength(49);
  });

  it('re-opens the breaker when a hung trial times out', async () => {
    const primary = new ScriptedProvider('primary');
    const secondary = new ScriptedProvider('secondary');
    const h = track(harness([primary, secondary]));
    await openBreaker(h, primary, [{ hang: true }]);
    await untilHalfOpen(h);

    const result = h.send();
    await vi.advanceTimersByTimeAsync(5000);
    const outcome = await result;

    expect(outcome.kind).toBe('sent');

    expect(outcome.kind === 'sent' ? outcome.provider : undefined).toBe('secondary');
    expect(h.slots[0]?.breaker.state).toBe('open');
  });

  it('answers no_provider_available with the soonest half-open time', async () => {
    const primary = new ScriptedProvider('primary');
    const h = track(harness([primary]));
    await openBreaker(h, primary, [ok]);
    const openUntil = h.slots[0]?.breaker.openUntil;
    const callsBefore = primary.calls.length;

    const outcome = await h.send();

    expect(outcome.kind).toBe('no_provider_available');
    expect(outcome.kind === 'no_provider_available' ? outcome.retryAt : undefined).toBe(openUntil);
    expect(primary.calls).toHaveLength(callsBefore);
  });

  it('reports an unknown outcome when the deadline ends an ambiguous attempt', async () => {
    const primary = new ScriptedProvider('primary', [{ hang: true }]);
    const h = track(harness([primary], { route: { deadline_ms: 1000 } }));

    const result = h.send();
    await vi.advanceTimersByTimeAsync(1000);
    const outcome = await result;

    expect(outcome.kind).toBe('outcome_unknown');
    expect(outcome.attempts.map((a) => a.outcome)).toEqual(['ambiguous']);
  });

  it('reports deadline_exceeded when nothing was sent in time', async () => {
    const primary = new ScriptedProvider('primary', [{ hang: true, connecting: true }]);
    const h = track(harness([primary], { route: { deadline_ms: 1000 } }));

    const result = h.send();
    await vi.advanceTimersByTimeAsync(1000);
    const outcome = await result;

    expect(outcome.kind).toBe('deadline_exceeded');
    expect(outcome.attempts.map((a) => a.outcome)).toEqual(['transient']);
  });

  it('emits failover only when a next provider exists', async () => {
    const primary = new ScriptedProvider('primary', [unavailable]);
    const secondary = new ScriptedProvider('secondary', [unavailable]);
    const h = track(harness([primary, secondary]));
    const from: string[] = [];
    h.events.on('failover', (event) => from.push(event.from));

    const result = h.send();
    await vi.runAllTimersAsync();
    await result;

    expect(from).toEqual(['primary']);
  });

  it('reports all_providers_failed when every provider failed', async () => {
    const primary = new ScriptedProvider('primary', [unavailable]);
    const secondary = new ScriptedProvider('secondary', [unavailable]);
    const h = track(harness([primary, secondary]));

    const result = h.send();
    await vi.runAllTimersAsync();
    const outcome = await result;

    expect(outcome.kind).toBe('all_providers_failed');
    expect(outcome.attempts).toHaveLength(6);
  });
});

describe('route selection', () => {
  function router(): { router: Router; routes: Route[]; events: GatewayEvents } {
    const events = new GatewayEvents();
    const slot = new ProviderSlot(new ScriptedProvider('p'), slotDefaults, {
      now: Date.now,
      random: Math.random,
      events,
    });
    const routes: Route[] = [
      { name: 'default', settings: { ...routeDefaults, providers: ['p'] }, slots: [slot] },
      {
        name: 'uk',
        settings: { ...routeDefaults, providers: ['p'], calling_codes: ['44'] },
        slots: [slot],
      },
    ];
    return { router: new Router(routes, Date.now, events), routes, events };
  }

  it('picks the route that lists the calling code', () => {
    expect(router().router.selectRoute(undefined, '44')?.name).toBe('uk');
  });

  it('falls back to the default route', () => {
    expect(router().router.selectRoute(undefined, '1')?.name).toBe('default');
  });

  it('prefers the route named in the request', () => {
    expect(router().router.selectRoute('default', '44')?.name).toBe('default');
  });

  it('returns nothing for an unknown route name', () => {
    expect(router().router.selectRoute('nope', '44')).toBeUndefined();
  });
});

describe('concurrency', () => {
  // A seeded generator keeps the interleavings reproducible.
  function mulberry32(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };
  }

  it('keeps one trial per provider and one send per message under random faults', async () => {
    const random = mulberry32(42);
    const steps: Step[] = [ok, unavailable, serverError, { hang: true }];
    const providers = ['a', 'b', 'c'].map((id) => new ScriptedProvider(id));
    const h = track(
      harness(providers, {
        breaker: { open_duration_ms: 2000 },
        slot: { attempt_timeout_ms: 300 },
        route: { deadline_ms: 3000 },
        random,
      }),
    );
    const trialsInFlight = new Map<string, number>();
    let maxTrials = 0;
    for (const slot of h.slots) {
      const admit = slot.breaker.tryAdmit.bind(slot.breaker);
      const record = slot.breaker.record.bind(slot.breaker);
      slot.breaker.tryAdmit = () => {
        const admission = admit();
        if (admission?.trial) {
          const count = (trialsInFlight.get(slot.id) ?? 0) + 1;
          trialsInFlight.set(slot.id, count);
          maxTrials = Math.max(maxTrials, count);
        }
        return admission;
      };
      slot.breaker.record = (admission, outcome) => {
        if (admission.trial) {
          trialsInFlight.set(slot.id, (trialsInFlight.get(slot.id) ?? 1) - 1);
        }
        record(admission, outcome);
      };
    }

    const results = [];
    for (let round = 0; round < 200; round += 1) {
      for (const provider of providers) {
        provider.script([
          { ...steps[Math.floor(random() * steps.length)]!, delayMs: Math.floor(random() * 50) },
        ] as Step[]);
      }
      results.push(h.send(`m${round}`));
      await vi.advanceTimersByTimeAsync(Math.floor(random() * 200));
    }
    await vi.runAllTimersAsync();
    const outcomes = await Promise.all(results);

    const sentIds = providers.flatMap((p) => p.calls.map((c) => c.attempt));
    expect(sentIds.length).toBeGreaterThan(0);
    expect(maxTrials).toBeLessThanOrEqual(1);
    for (const outcome of outcomes) {
      const sent = outcome.attempts.filter((a) => a.outcome === 'sent');
      expect(sent.length).toBeLessThanOrEqual(1);
    }
  });
});
