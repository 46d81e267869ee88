import type { SmsProvider } from '../providers/contract.js';
import { providerDefinitions } from '../providers/registry.js';
import type { Config, ProviderConfig } from './config/index.js';
import { statusCallbackUrls } from './delivery/paths.js';
import { DeliveryMonitor } from './delivery/monitor.js';
import { DeliveryTracker } from './delivery/tracker.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { jsonCallbackEncoder } from './dispatch/callback-request.js';
import { CallbackSender } from './dispatch/callbacks.js';
import { OptOutPolicy } from './dispatch/opt-outs.js';
import { QueueSender } from './dispatch/queue.js';
import { createEscalation, type ErrorLog, type Escalator } from './escalation/index.js';
import { GatewayEvents } from './events.js';
import { twilioCallbackEncoder } from './http/twilio/status-callback.js';
import { createMetrics, type GatewayMetrics } from './observability/metrics.js';
import { ProviderSlot } from './resilience/provider-slot.js';
import { Router, type Route } from './routing/router.js';
import { ProviderStats } from './status/provider-stats.js';
import { openStore, Retention, type MessageStore } from './store/index.js';

/** Services a gateway uses; tests replace them to control time and chance. */
export interface GatewayOptions {
  readonly now?: () => number;
  readonly random?: () => number;
  /** Called when an escalation channel fails to take an event. */
  readonly onChannelError?: (channel: string, eventId: string, error: unknown) => void;
  /** The message store; by default the SQLite file that `config.store` names, opened here. */
  readonly store?: MessageStore;
}

/** Every part of one gateway instance, wired from a config. */
export interface Gateway {
  readonly config: Config;
  readonly events: GatewayEvents;
  readonly slots: ReadonlyMap<string, ProviderSlot>;
  readonly router: Router;
  readonly dispatcher: Dispatcher;
  /** The background sender of async messages; `startServer` starts it. */
  readonly queue: QueueSender;
  /** Pruning of old messages; `startServer` starts it. */
  readonly retention: Retention;
  readonly optOuts: OptOutPolicy;
  /** The sender of status callbacks from the store's outbox; `startServer` starts it. */
  readonly callbacks: CallbackSender;
  /** Records the delivery reports that providers post to the webhooks. */
  readonly delivery: DeliveryTracker;
  /** Resends after delivery failures and missing final statuses; `startServer` starts it. */
  readonly deliveryMonitor: DeliveryMonitor;
  readonly escalator: Escalator;
  readonly errorLog: ErrorLog;
  readonly store: MessageStore;
  readonly stats: ProviderStats;
  readonly metrics: GatewayMetrics;
  readonly now: () => number;
  /**
   * Stops the queue sender and the delivery monitor, and waits for messages in flight: sync ones
   * and async passes already started, while queued ones stay queued. Then it waits for pending
   * escalations and callback requests in flight until `timeoutMs` (from the call) has passed. It
   * writes escalations still pending to the error log, and aborts callback requests still in
   * flight, which are posted again after the next start. Last, it releases timers and files and
   * closes the store.
   */
  close(options?: { readonly timeoutMs?: number }): Promise<void>;
}

/**
 * Builds a gateway from a validated config. Opens the store (creating and migrating the SQLite
 * file) unless one is given; starts no server and opens no sockets.
 *
 * @throws the store's error when its file cannot be opened or migrated.
 */
export function createGateway(config: Config, options: GatewayOptions = {}): Gateway {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const events = new GatewayEvents();
  const stats = new ProviderStats(now);
  events.on('attempt', (event) => stats.record(event));
  events.on('breaker', (transition) => stats.recordTransition(transition));

  const slots = new Map<string, ProviderSlot>();
  for (const providerConfig of config.providers) {
    if (!providerConfig.enabled) {
      continue;
    }
    const provider = createProvider(providerConfig, { now, random });
    const callbackUrl = statusCallbackUrls(config.server.public_base_url, providerConfig.type);
    const slot = new ProviderSlot(provider, providerConfig, { now, random, events }, callbackUrl);
    slots.set(provider.id, slot);
  }

  const routes: Route[] = Object.entries(config.routes).map(([name, settings]) => ({
    name,
    settings,
    slots: settings.providers.flatMap((id) => slots.get(id) ?? []),
  }));
  const router = new Router(routes, now, events);

  const escalation = createEscalation(config, {
    events,
    now,
    random,
    onChannelError: options.onChannelError ?? (() => undefined),
  });
  const { errorLog, escalator } = escalation;
  const store = options.store ?? openStore(config);
  const optOuts = new OptOutPolicy(store, config.providers);
  const callbacks = new CallbackSender({
    store,
    events,
    now,
    random,
    encoders: {
      json: jsonCallbackEncoder(config.escalation.webhook?.secret),
      twilio: twilioCallbackEncoder(config.api_keys, config.providers),
    },
    settings: config.callbacks,
  });
  // An end state is the change a client waits for most, so it goes out without waiting for a poll.
  events.on('message', () => callbacks.wake());
  const dispatcher = new Dispatcher(router, escalator, store, optOuts, now, events);
  const queue = new QueueSender({
    router,
    escalator,
    store,
    optOuts,
    events,
    now,
    routes: config.routes,
    settings: config.queue,
  });
  const deliveryMonitor = new DeliveryMonitor({
    store,
    events,
    now,
    routes: config.routes,
    escalator,
    pollIntervalMs: config.queue.poll_interval_ms,
    onResend: () => queue.wake(),
  });
  const delivery = new DeliveryTracker(store, events, now, config.store.pending_report_ttl_ms, () =>
    deliveryMonitor.wake(),
  );
  const retention = new Retention(store, config.store, now);
  const metrics = createMetrics(events, {
    slots,
    routes: routes.map((route) => route.name),
    channels: [...new Set(Object.values(config.routes).flatMap((route) => route.escalate))],
  });

  return {
    config,
    events,
    slots,
    router,
    dispatcher,
    queue,
    retention,
    optOuts,
    callbacks,
    delivery,
    deliveryMonitor,
    escalator,
    errorLog,
    store,
    stats,
    metrics,
    now,
    async close(closeOptions = {}) {
      const deadline = now() + (closeOptions.timeoutMs ?? Number.POSITIVE_INFINITY);
      retention.stop();
      await Promise.all([dispatcher.drain(), queue.stop(), deliveryMonitor.stop()]);
      await Promise.all([escalation.close(deadline - now()), callbacks.stop(deadline - now())]);
      for (const slot of slots.values()) {
        slot.breaker.shutdown();
      }
      await store.close();
    },
  };
}

function createProvider(
  config: ProviderConfig,
  context: { now: () => number; random: () => number },
): SmsProvider {
  const definition = providerDefinitions[config.type];
  // The config schema validated the options against this definition's shape.
  return (definition.create as (id: string, options: unknown, ctx: typeof context) => SmsProvider)(
    config.id,
    config.options,
    context,
  );
}
