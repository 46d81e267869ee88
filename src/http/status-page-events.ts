import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';

import type { Gateway } from '../gateway.js';
import { healthStatus, providersDocument } from '../status/status.js';
import type { AppEnv } from './context.js';

/** Timing of the status page's live updates, in milliseconds. */
export interface StatusEventTiming {
  /** Wait after a change before the push, so that a burst of changes becomes one push. */
  readonly debounceMs: number;
  /** Time between pushes when nothing changes. */
  readonly intervalMs: number;
  /** Time between checks for shutdown, which ends the stream. */
  readonly shutdownCheckMs: number;
}

export const defaultStatusEventTiming: StatusEventTiming = {
  debounceMs: 250,
  intervalMs: 5000,
  shutdownCheckMs: 1000,
};

/** Tells the browser how long to wait before it reconnects. */
const RECONNECT_MS = 3000;

/**
 * Returns the handler of `GET /status/events`: a server-sent event stream that pushes a
 * `providers` event (the `GET /v1/providers` document) and a `health` event at once, after every
 * change (debounced) and every `intervalMs`. The stream ends when the client goes away or the
 * gateway begins to shut down.
 */
export function statusEvents(
  gateway: Gateway,
  isDraining: () => boolean,
  timing: StatusEventTiming = defaultStatusEventTiming,
) {
  const subscribers = new Set<() => void>();
  let listening = false;
  const notify = (): void => subscribers.forEach((wake) => wake());

  return (c: Context<AppEnv>) => {
    // A HEAD response has no body to end, so a stream started for it would never be cancelled.
    if (c.req.method === 'HEAD') {
      return c.body(null, 200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-cache',
      });
    }
    if (!listening) {
      gateway.stats.on('change', notify);
      listening = true;
    }
    return streamSSE(c, async (stream) => {
      const changes = new ChangeSignal(timing.debounceMs);
      subscribers.add(changes.mark);
      stream.onAbort(changes.wake);
      try {
        await pushUntilClosed(stream, gateway, () => isDraining(), changes, timing);
      } finally {
        subscribers.delete(changes.mark);
        changes.dispose();
      }
    });
  };
}

async function pushUntilClosed(
  stream: SSEStreamingApi,
  gateway: Gateway,
  isDraining: () => boolean,
  changes: ChangeSignal,
  timing: StatusEventTiming,
): Promise<void> {
  let nextPush = 0;
  while (!stream.aborted && !isDraining()) {
    if (changes.due || Date.now() >= nextPush) {
      changes.due = false;
      nextPush = Date.now() + timing.intervalMs;
      await push(stream, gateway);
      continue;
    }
    await changes.wait(Math.min(timing.shutdownCheckMs, Math.max(0, nextPush - Date.now())));
  }
}

async function push(stream: SSEStreamingApi, gateway: Gateway): Promise<void> {
  await stream.writeSSE({
    event: 'providers',
    data: JSON.stringify(providersDocument(gateway)),
    retry: RECONNECT_MS,
  });
  await stream.writeSSE({
    event: 'health',
    data: JSON.stringify({ status: healthStatus(gateway).status }),
  });
}

/**
 * Turns change notifications into at most one wake-up per `debounceMs`. The first change of a
 * burst starts the timer and later ones join it, so a steady stream of changes still pushes.
 */
class ChangeSignal {
  due = false;
  #debounce: NodeJS.Timeout | undefined;
  #wait: { timer: NodeJS.Timeout; resolve: () => void } | undefined;

  constructor(private readonly debounceMs: number) {}

  readonly mark = (): void => {
    this.#debounce ??= setTimeout(() => {
      this.#debounce = undefined;
      this.due = true;
      this.wake();
    }, this.debounceMs);
  };

  readonly wake = (): void => {
    const waiting = this.#wait;
    this.#wait = undefined;
    if (waiting) {
      clearTimeout(waiting.timer);
      waiting.resolve();
    }
  };

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wait = { timer: setTimeout(() => this.wake(), ms), resolve };
    });
  }

  dispose(): void {
    clearTimeout(this.#debounce);
    this.wake();
  }
}
