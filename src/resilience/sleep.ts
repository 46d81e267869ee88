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

/**
 * Resolves true when `work` settles within `ms`, and false otherwise; an infinite `ms` waits for
 * `work`. The timer is unref'd and cleared, so it never keeps the process alive.
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  if (!Number.isFinite(ms)) {
    await work;
    return true;
  }

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
    timer.unref();
  });
  try {
    return await Promise.race([work.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
