import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import {
  ProviderBreaker,
  type Admission,
  type BreakerSettings,
  type BreakerTransition,
} from '../../src/resilience/breaker.js';

const defaults: BreakerSettings = {
  policy: 'consecutive',
  failure_threshold: 3,
  open_duration_ms: 300_000,
  half_open_max_calls: 1,
  success_threshold: 2,
  error_threshold_percentage: 50,
  volume_threshold: 10,
  window_ms: 10_000,
};

let transitions: BreakerTransition[];
let breakers: ProviderBreaker[];

function makeBreaker(settings: Partial<BreakerSettings> = {}): ProviderBreaker {
  const breaker = new ProviderBreaker('primary', { ...defaults, ...settings }, Date.now, (t) =>
    transitions.push(t),
  );
  breakers.push(breaker);
  return breaker;
}

function admit(breaker: ProviderBreaker): Admission {
  const admission = breaker.tryAdmit();
  if (!admission) {
    throw new Error(`breaker admitted no call in state ${breaker.state}`);
  }
  return admission;
}

function fail(breaker: ProviderBreaker, times = 1): void {
  for (let i = 0; i < times; i += 1) {
    breaker.record(admit(breaker), 'failure');
  }
}

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
  transitions = [];
  breakers = [];
});

afterEach(() => {
  for (const breaker of breakers) {
    breaker.shutdown();
  }
  vi.useRealTimers();
});

describe('consecutive policy', () => {
  it('stays closed when a success breaks the failure run', () => {
    const breaker = makeBreaker();
    fail(breaker, 2);
    breaker.record(admit(breaker), 'success');
    fail(breaker, 2);

    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().consecutive_failures).toBe(2);
  });

  it('opens after three consecutive failures', () => {
    const breaker = makeBreaker();
    fail(breaker, 3);

    expect(breaker.state).toBe('open');
    expect(transitions.map((t) => t.to)).toEqual(['open']);
    expect(transitions[0]?.reason).toBe('3 consecutive failures');
    expect(breaker.snapshot().consecutive_failures).toBe(3);
  });

  it('neither resets nor counts neutral outcomes', () => {
    const breaker = makeBreaker();
    fail(breaker, 2);
    breaker.record(admit(breaker), 'neutral');
    expect(breaker.snapshot().consecutive_failures).toBe(2);

    fail(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('opens at once on a configuration fault', () => {
    const breaker = makeBreaker();
    breaker.record(admit(breaker), 'config_fault');

    expect(breaker.state).toBe('open');
    expect(transitions[0]?.reason).toBe('configuration fault');
  });
});

describe('rate policy', () => {
  const rate = { policy: 'rate', volume_threshold: 4, error_threshold_percentage: 50 } as const;

  it('does not open below the volume threshold', () => {
    const breaker = makeBreaker(rate);
    fail(breaker, 3);

    expect(breaker.state).toBe('closed');
  });

  it('opens when the failure share reaches the threshold', () => {
    const breaker = makeBreaker(rate);
    breaker.record(admit(breaker), 'success');
    breaker.record(admit(breaker), 'success');
    fail(breaker, 2);

    expect(breaker.state).toBe('open');
  });

  it('forgets results older than the window', () => {
    const breaker = makeBreaker(rate);
    fail(breaker, 3);
    vi.advanceTimersByTime(11_000);
    fail(breaker, 1);

    expect(breaker.state).toBe('closed');
  });
});

describe('open state', () => {
  it('rejects calls until the open duration has passed', () => {
    const breaker = makeBreaker();
    fail(breaker, 3);

    vi.advanceTimersByTime(299_999);
    expect(breaker.tryAdmit()).toBeUndefined();
    expect(breaker.state).toBe('open');

    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe('half_open');
  });

  it('reports when it will half-open', () => {
    const breaker = makeBreaker();
    const openedAt = Date.now();
    fail(breaker, 3);

    expect(breaker.openUntil).toBe(openedAt + 300_000);
  });
});

describe('half-open state', () => {
  function halfOpen(settings: Partial<BreakerSettings> = {}): ProviderBreaker {
    const breaker = makeBreaker(settings);
    fail(breaker, 3);
    vi.advanceTimersByTime(300_000);
    return breaker;
  }

  it('admits exactly one trial at a time', () => {
    const breaker = halfOpen();
    const admissions = Array.from({ length: 50 }, () => breaker.tryAdmit());

    expect(admissions.filter(Boolean)).toHaveLength(1);
    expect(admissions[0]?.trial).toBe(true);
  });

  it('admits as many trials as half_open_max_calls', () => {
    const breaker = halfOpen({ half_open_max_calls: 3 });
    const admissions = Array.from({ length: 10 }, () => breaker.tryAdmit());

    expect(admissions.filter(Boolean)).toHaveLength(3);
  });

  it('stays half-open after one successful trial and closes after the second', () => {
    const breaker = halfOpen();
    breaker.record(admit(breaker), 'success');
    expect(breaker.state).toBe('half_open');

    breaker.record(admit(breaker), 'success');
    expect(breaker.state).toBe('closed');
    expect(transitions.map((t) => t.to)).toEqual(['open', 'half_open', 'closed']);
  });

  it('re-opens for a fresh duration when a trial fails', () => {
    const breaker = halfOpen();
    breaker.record(admit(breaker), 'success');
    breaker.record(admit(breaker), 'failure');
    expect(breaker.state).toBe('open');

    vi.advanceTimersByTime(299_999);
    expect(breaker.state).toBe('open');
    vi.advanceTimersByTime(1);
    expect(breaker.state).toBe('half_open');
  });

  it('releases the trial slot after a neutral outcome', () => {
    const breaker = halfOpen();
    breaker.record(admit(breaker), 'neutral');

    expect(breaker.state).toBe('half_open');
    expect(breaker.tryAdmit()).toBeDefined();
  });
});

describe('epoch fence', () => {
  it('ignores a late success from a call admitted before the breaker opened', () => {
    const breaker = makeBreaker();
    const early = admit(breaker);
    fail(breaker, 3);
    vi.advanceTimersByTime(300_000);

    breaker.record(early, 'success');
    expect(breaker.state).toBe('half_open');
    breaker.record(admit(breaker), 'success');
    expect(breaker.state).toBe('half_open');
  });

  it('ignores a late failure from a call admitted before the breaker opened', () => {
    const breaker = makeBreaker();
    const early = admit(breaker);
    fail(breaker, 3);
    vi.advanceTimersByTime(300_000);

    breaker.record(early, 'failure');
    expect(breaker.state).toBe('half_open');
  });

  it('keeps an open breaker open when an earlier call succeeds late', () => {
    const breaker = makeBreaker();
    const early = admit(breaker);
    fail(breaker, 3);

    breaker.record(early, 'success');
    expect(breaker.state).toBe('open');
  });
});

describe('shutdown', () => {
  it('leaves no timer behind', () => {
    const breaker = makeBreaker();
    fail(breaker, 3);
    expect(vi.getTimerCount()).toBe(1);

    breaker.shutdown();
    expect(vi.getTimerCount()).toBe(0);
  });
});
