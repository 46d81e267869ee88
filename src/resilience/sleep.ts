/**
 * Resolves after `ms` milliseconds. Built on the global `setTimeout` so that fake timers in tests
 * control it, and unref'd so that a pending wait never keeps the process alive.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref?.();
  });
}
