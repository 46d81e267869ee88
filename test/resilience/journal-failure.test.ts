import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { AttemptRecord } from '../../src/events.js';
import type { AttemptJournal } from '../../src/resilience/provider-slot.js';
import { harness, type Harness } from '../helpers/routing.js';
import { ScriptedProvider } from '../helpers/scripted-provider.js';

let h: Harness | undefined;

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
});

afterEach(() => {
  h?.shutdown();
  h = undefined;
  vi.useRealTimers();
});

const failingJournal: AttemptJournal = {
  attemptStarted: () => Promise.reject(new Error('disk I/O error')),
  attemptEnded: () => Promise.resolve(),
};

function route(current: Harness, journal: AttemptJournal) {
  const attempts: AttemptRecord[] = [];
  return current.router.route(
    current.route,
    { to: '+15005550006', body: 'disk full on db-1', encoding: 'GSM-7' },
    { messageId: 'msg-1', deadline: Date.now() + 15_000, attempts, journal },
  );
}

describe('attempt journal failure', () => {
  it('rejects without calling the provider', async () => {
    const provider = new ScriptedProvider('primary');
    h = harness([provider]);

    await expect(route(h, failingJournal)).rejects.toThrow('disk I/O error');
    expect(provider.calls).toHaveLength(0);
  });

  it('returns the half-open trial permit', async () => {
    const provider = new ScriptedProvider('primary');
    h = harness([provider]);
    const breaker = h.slots[0]!.breaker;
    breaker.forceOpen('test');
    vi.advanceTimersByTime(300_000);
    expect(breaker.state).toBe('half_open');

    await expect(route(h, failingJournal)).rejects.toThrow('disk I/O error');

    expect(breaker.state).toBe('half_open');
    expect(breaker.available).toBe(true);
  });
});
