import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { fullJitterBackoff } from '../../src/resilience/backoff.js';
import { harness, type Harness } from '../helpers/routing.js';
import {
  authFailed,
  invalidRecipient,
  ok,
  ScriptedProvider,
  serverError,
  throttled,
  unavailable,
} from '../helpers/scripted-provider.js';

let open: Harness[] = [];

function track(h: Harness): Harness {
  open.push(h);
  return h;
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

describe('full-jitter backoff', () => {
  it('stays within zero and the cap over 100000 samples', () => {
    const settings = { initial_backoff_ms: 250, max_backoff_ms: 2000 };
    let outOfRange = 0;
    let notANumber = 0;
    for (let i = 0; i < 100_000; i += 1) {
      const retry = (i % 40) + 1;
      const delay = fullJitterBackoff(retry, settings, Math.random);
      const ceiling = Math.min(2000, 250 * 2 ** (retry - 1));
      if (Number.isNaN(delay)) {
        notANumber += 1;
      } else if (delay < 0 || delay > ceiling) {
        outOfRange += 1;
      }
    }

    expect(notANumber).toBe(0);
    expect(outOfRange).toBe(0);
  });

  it('never returns NaN for a broken random source', () => {
    const settings = { initial_backoff_ms: 250, max_backoff_ms: 2000 };

    expect(fullJitterBackoff(2, settings, () => Number.NaN)).toBe(0);
    expect(fullJitterBackoff(2, settings, () => 7)).toBe(500);
  });

  it('grows exponentially up to the cap', () => {
    const settings = { initial_backoff_ms: 250, max_backoff_ms: 2000 };
    const almostOne = (): number => 0.999_999;

    expect(fullJitterBackoff(1, settings, almostOne)).toBe(249);
    expect(fullJitterBackoff(3, settings, almostOne)).toBe(999);
    expect(fullJitterBackoff(10, settings, almostOne)).toBe(1999);
  });
});

describe('retry on one provider', () => {
  it('retries transient errors and then succeeds on the same provider', async () => {
    const primary = new ScriptedProvider('primary', [unavailable, unavailable, ok]);
    const secondary = new ScriptedProvider('secondary');
    const h = track(harness([primary, secondary]));

    const result = h.send();
    await vi.runAllTimersAsync();
    const outcome = await result;

    expect(outcome.kind).toBe('sent');
    expect(primary.calls).toHaveLength(3);
    expect(secondary.calls).toHaveLength(0);
  });

  it('fails over after max_attempts transient errors', async () => {
    const primary = new ScriptedProvider('primary', [unavailable]);
    const secondary = new ScriptedProvider('secondary');
    const h = track(harness([primary, secondary]));

    const result = h.send();
    await vi.runAllTimersAsync();
    const outcome = await result;

    expect(outcome.kind).toBe('sent');

    expect(outcome.kind === 'sent' ? outcome.provider : undefined).toBe('secondary');
    expect(primary.calls).toHaveLength(3);
    expect(outcome.attempts.map((a) => a.outcome)).toEqual([
      'transient',
      'transient',
      'transient',
      'sent',
    ]);
  });

  it('numbers attempts across providers', async () => {
    const primary = new ScriptedProvider('primary', [unavailable]);
    const secondary = new ScriptedProvider('secondary');
    const h = track(harness([primary, secondary]));

    const result = h.send();
    await vi.runAllTimersAsync();
    await result;

    expect(primary.calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(secondary.calls.map((c) => c.attempt)).toEqual([4]);
  });

  it('fails over when the provider budget is spent', async () => {
    const primary = new ScriptedProvider('primary', [{ ...unavailable, delayMs: 1500 }]);
    const secondary = new ScriptedProvider('secondary');
    const h = track(
      harness([primary, secondary], {
        slot: {
          retry: {
            max_attempts: 10,
            initial_backoff_ms: 250,
            max_backoff_ms: 2000,
            budget_ms: 4000,
          },
        },
      }),
    );

    const result = h.send();
    await vi.runAllTimersAsync();
    const outcome = await result;

    expect(outcome.kind).toBe('sent');

    expect(outcome.kind === 'sent' ? outcome.provider : undefined).toBe('secondary');
    expect(primary.calls.length).toBeLessThanOrEqual(3);
  });

  it('never waits past the message deadline', async () => {
    const primary = new ScriptedProvider('primary', [unavailable]);
    const h = track(
      harness([primary], {
        route: { deadline_ms: 300 },
        random: () => 0.999,
        slot: {
          retry: {
            max_attempts: 5,
            initial_backoff_ms: 1000,
            max_backoff_ms: 2000,
            budget_ms: 4000,
          },
        },
      }),
    );
    const started = Date.now();

    const result = h.send();
    await vi.runAllTimersAsync();
    const outcome = await result;

    expect(outcome.kind).toBe('all_providers_failed');
    expect(primary.calls).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(300);
  });
});

describe('error classes', () => {
  it('never fails over after a rejected answer', async () => {
    const primary = new ScriptedProvider('primary', [invalidRecipient]);
    const secondary = new ScriptedProvider('secondary');
    const h = track(harness([primary, secondary]));

    const outcome = await h.send();

    expect(outcome.kind).toBe('rejected');

    expect(outcome.kind === 'rejected' ? outcome.rejection : undefined).toBe('invalid_recipient');
    expect(primary.calls).toHaveLength(1);
    expect(secondary.calls).toHaveLength(0);
    expect(h.slots[0]?.breaker.snapshot().consecutive_failures).toBe(0);
  });

  it('fails over at once and opens the breaker on a configuration fault', async () => {
    const primary = new ScriptedProvider('primary', [authFailed]);
    const secondary = new ScriptedProvider('secondary');
    const h = track(harness([primary, secondary]));

    const outcome = await h.send();

    expect(outcome.kind).toBe('sent');

    expect(outcome.kind === 'sent' ? outcome.provider : undefined).toBe('secondary');
    expect(primary.calls).toHaveLength(1);
    expect(h.slots[0]?.breaker.state).toBe('open');
  });

  it('fails over after an ambiguous answer and flags a possible duplicate', async () => {
    const primary = new ScriptedProvider('primary', [serverError]);
    const secondary = new ScriptedProvider('secondary');
    const h = track(harness([primary, secondary]));

    const outcome = await h.send();

    expect(outcome.kind).toBe('sent');
    expect(outcome.kind === 'sent' ? outcome.possibleDuplicate : undefined).toBe(true);
    expect(primary.calls).toHaveLength(1);
  });

  it('stops with an unknown outcome when the route says stop', async () => {
    const primary = new ScriptedProvider('primary', [serverError]);
    const secondary = new ScriptedProvider('secondary');
    const h = track(harness([primary, secondary], { route: { on_ambiguous: 'stop' } }));

    const outcome = await h.send();

    expect(outcome.kind).toBe('outcome_unknown');
    expect(secondary.calls).toHaveLength(0);
  });

  it('treats an attempt timeout after sending as ambiguous', async () => {
    const primary = new ScriptedProvider('primary', [{ hang: true }]);
    const secondary = new ScriptedProvider('secondary');
    const h = track(harness([primary, secondary]));

    const result = h.send();
    await vi.advanceTimersByTimeAsync(5000);
    const outcome = await result;

    expect(outcome.attempts[0]?.outcome).toBe('ambiguous');
    expect(primary.aborted).toHaveLength(1);
    expect(outcome.kind).toBe('sent');
    expect(outcome.kind === 'sent' ? outcome.possibleDuplicate : undefined).toBe(true);
  });
});

describe('throttling', () => {
  it('waits for Retry-After and sets a cool-down without counting a failure', async () => {
    const primary = new ScriptedProvider('primary', [throttled(2000), ok]);
    const secondary = new ScriptedProvider('secondary');
    const h = track(harness([primary, secondary]));

    const result = h.send();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.slots[0]?.availability()).toBe('cooling_down');
    expect(h.slots[0]?.breaker.snapshot().consecutive_failures).toBe(0);

    await vi.advanceTimersByTimeAsync(1999);
    expect(primary.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    const outcome = await result;

    expect(primary.calls).toHaveLength(2);
    expect(outcome.kind).toBe('sent');
    expect(outcome.kind === 'sent' ? outcome.provider : undefined).toBe('primary');
    expect(secondary.calls).toHaveLength(0);
  });

  it('skips a cooling provider for other messages', async () => {
    const primary = new ScriptedProvider('primary', [throttled(2000), ok]);
    const secondary = new ScriptedProvider('secondary');
    const h = track(harness([primary, secondary]));

    const first = h.send();
    await vi.advanceTimersByTimeAsync(0);
    const second = await h.send();

    expect(second.kind).toBe('sent');

    expect(second.kind === 'sent' ? second.provider : undefined).toBe('secondary');
    await vi.runAllTimersAsync();
    await first;
  });

  it('fails over at once when the cool-down outlasts the deadline', async () => {
    const primary = new ScriptedProvider('primary', [throttled(60_000), ok]);
    const secondary = new ScriptedProvider('secondary');
    const h = track(harness([primary, secondary]));

    const outcome = await h.send();

    expect(outcome.kind).toBe('sent');

    expect(outcome.kind === 'sent' ? outcome.provider : undefined).toBe('secondary');
    expect(primary.calls).toHaveLength(1);
  });
});
