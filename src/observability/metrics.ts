import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { AttemptOutcome, CallbackDeliveryEvent, GatewayEvents } from '../events.js';
import type { BreakerState } from '../resilience/breaker.js';
import type { ProviderSlot } from '../resilience/provider-slot.js';
import type { RoutingResult } from '../routing/router.js';

const PREFIX = 'sms_relay_';
const attemptOutcomes: readonly AttemptOutcome[] = [
  'sent',
  'transient',
  'throttled',
  'provider',
  'rejected',
  'ambiguous',
];
const messageOutcomes: readonly RoutingResult['kind'][] = [
  'sent',
  'rejected',
  'all_providers_failed',
  'outcome_unknown',
  'deadline_exceeded',
  'no_provider_available',
];
const breakerStates: readonly BreakerState[] = ['closed', 'open', 'half_open'];
const callbackOutcomes: readonly CallbackDeliveryEvent['outcome'][] = [
  'delivered',
  'failed_retryable',
  'gave_up',
];

/** Attempt latency buckets in seconds, around the 5 s default attempt timeout. */
const latencyBuckets = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];

/** Scope of one gateway's metrics. Every label value listed here starts at zero. */
export interface MetricsScope {
  readonly slots: ReadonlyMap<string, ProviderSlot>;
  readonly routes: readonly string[];
  /** Escalation channel names that routes use. */
  readonly channels: readonly string[];
}

/** The Prometheus metrics of one gateway. */
export interface GatewayMetrics {
  /** The gateway's own registry; the process metrics live in a registry shared by the process. */
  readonly registry: Registry;
  readonly contentType: string;
  /** Renders the gateway's metrics and the process metrics in the Prometheus text format. */
  render(): Promise<string>;
}

/**
 * Creates the metrics of one gateway in a registry of its own, so that several gateways in one
 * process (as in tests) do not share counters, and counts the gateway's events into them. Label
 * values are provider ids, route and channel names and outcome classes; never a phone number or
 * message text.
 */
const escalationOutcomes = [
  'handed_off',
  'delivered',
  'failed_retryable',
  'failed',
  'dead_lettered',
] as const;

export function createMetrics(events: GatewayEvents, scope: MetricsScope): GatewayMetrics {
  const registry = new Registry();
  const providers = [...scope.slots.keys()];
  const registers = [registry];

  const messages = new Counter({
    name: `${PREFIX}messages_total`,
    help: 'Messages whose routing ended, by route and outcome.',
    labelNames: ['route', 'outcome'] as const,
    registers,
  });
  const attempts = new Counter({
    name: `${PREFIX}attempts_total`,
    help: 'Attempts by provider and outcome (sent or the error class).',
    labelNames: ['provider', 'outcome'] as const,
    registers,
  });
  const attemptDuration = new Histogram({
    name: `${PREFIX}attempt_duration_seconds`,
    help: 'Duration of one attempt, by provider.',
    labelNames: ['provider'] as const,
    buckets: latencyBuckets,
    registers,
  });
  const transitions = new Counter({
    name: `${PREFIX}breaker_transitions_total`,
    help: 'Breaker state changes, by provider and new state.',
    labelNames: ['provider', 'to'] as const,
    registers,
  });
  const failovers = new Counter({
    name: `${PREFIX}failovers_total`,
    help: 'Messages that moved on from a provider to the next one, by the provider left.',
    labelNames: ['from'] as const,
    registers,
  });
  const retries = new Counter({
    name: `${PREFIX}retries_total`,
    help: 'Retries on the same provider, by provider.',
    labelNames: ['provider'] as const,
    registers,
  });
  // `handed_off` counts message escalations when the dispatcher, the queue or the delivery monitor
  // hands them to a channel. The delivery outcomes (`delivered`, `failed_retryable`, `failed`,
  // `dead_lettered`) count what each channel then did with message escalations and operator
  // alerts alike.
  const escalations = new Counter({
    name: `${PREFIX}escalations_total`,
    help: 'Escalation events by channel and outcome: handed_off, then delivered, failed_retryable, failed or dead_lettered.',
    labelNames: ['channel', 'outcome'] as const,
    registers,
  });
  const callbacks = new Counter({
    name: `${PREFIX}callbacks_total`,
    help: 'Status callback attempts by outcome: delivered, failed_retryable or gave_up.',
    labelNames: ['outcome'] as const,
    registers,
  });
  registerStateGauges(registry, scope.slots);
  callbackOutcomes.forEach((outcome) => callbacks.labels(outcome).inc(0));

  for (const provider of providers) {
    attemptOutcomes.forEach((outcome) => attempts.labels(provider, outcome).inc(0));
    breakerStates.forEach((to) => transitions.labels(provider, to).inc(0));
    attemptDuration.zero({ provider });
    failovers.labels(provider).inc(0);
    retries.labels(provider).inc(0);
  }
  for (const route of scope.routes) {
    messageOutcomes.forEach((outcome) => messages.labels(route, outcome).inc(0));
  }
  for (const channel of scope.channels) {
    for (const outcome of escalationOutcomes) {
      escalations.labels(channel, outcome).inc(0);
    }
  }

  events.on('attempt', (event) => {
    attempts.labels(event.provider, event.outcome).inc();
    attemptDuration.labels(event.provider).observe(event.duration_ms / 1000);
  });
  events.on('retry', (event) => retries.labels(event.provider).inc());
  events.on('failover', (event) => failovers.labels(event.from).inc());
  events.on('breaker', (event) => transitions.labels(event.provider, event.to).inc());
  events.on('escalation', (event) => escalations.labels(event.channel, event.outcome).inc());
  events.on('callback', (event) => callbacks.labels(event.outcome).inc());
  events.on('message', (event) => {
    messages.labels(event.route, event.outcome).inc();
    event.escalated_to.forEach((channel) => escalations.labels(channel, 'handed_off').inc());
  });
  events.on('resend_skipped', (event) => {
    event.escalated_to.forEach((channel) => escalations.labels(channel, 'handed_off').inc());
  });

  return {
    registry,
    contentType: registry.contentType,
    render: () => Registry.merge([registry, processRegistry()]).metrics(),
  };
}

/** Registers the gauges that are read from the slots at scrape time. */
function registerStateGauges(registry: Registry, slots: ReadonlyMap<string, ProviderSlot>): void {
  new Gauge({
    name: `${PREFIX}breaker_state`,
    help: 'Breaker state by provider: 1 for the current state, 0 for the others.',
    labelNames: ['provider', 'state'] as const,
    registers: [registry],
    collect() {
      for (const slot of slots.values()) {
        const current = slot.breaker.state;
        breakerStates.forEach((state) =>
          this.labels(slot.id, state).set(state === current ? 1 : 0),
        );
      }
    },
  });
  new Gauge({
    name: `${PREFIX}provider_drained`,
    help: 'Whether an operator drained the provider: 1 while drained, else 0.',
    labelNames: ['provider'] as const,
    registers: [registry],
    collect() {
      for (const slot of slots.values()) {
        this.labels(slot.id).set(slot.drained ? 1 : 0);
      }
    },
  });
}

let sharedProcessRegistry: Registry | undefined;

/**
 * Returns the registry of prom-client's default process metrics (CPU, memory, event loop, GC).
 * They describe the process, not a gateway, so one registry serves every gateway in the process.
 * Creating it once also starts the GC observer and the event-loop monitor only once.
 */
function processRegistry(): Registry {
  if (!sharedProcessRegistry) {
    sharedProcessRegistry = new Registry();
    collectDefaultMetrics({ register: sharedProcessRegistry });
  }
  return sharedProcessRegistry;
}
