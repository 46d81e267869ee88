import { vi } from 'vitest';

/**
 * Moves fake time forward in 10 ms steps, with a few event-loop turns between steps so that
 * socket and file I/O progress, until `condition` holds. Throws after 60 s of fake time.
 */
export async function runUntil(condition: () => boolean): Promise<void> {
  for (let elapsed = 0; !condition(); elapsed += 10) {
    if (elapsed > 60_000) {
      throw new Error('condition not met within 60 s of fake time');
    }
    for (let turn = 0; turn < 5 && !condition(); turn += 1) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (!condition()) {
      await vi.advanceTimersByTimeAsync(10);
    }
  }
}

/** Resolves with `work`'s value while fake timers run; see `runUntil`. */
export async function settle<T>(work: Promise<T>): Promise<T> {
  let settled = false;
  void work.finally(() => (settled = true)).catch(() => undefined);
  await runUntil(() => settled);
  return work;
}
