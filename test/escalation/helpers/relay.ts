import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect, vi } from 'vitest';

import type { EscalationDeliveryEvent } from '../../../src/events.js';
import {
  createTestGateway,
  gatewayToml,
  type TestGateway,
  type TestGatewayOptions,
} from '../../helpers/gateway.js';

export const RECIPIENT = '+14155550100';
export const MASKED_RECIPIENT = '+1415***0100';
export const BODY = 'db-1 disk 97% full, page 4711';
export const WEBHOOK_SECRET = 'webhook-secret-0123456789';

/** The parts of a test config that the escalation tests vary. */
export interface EscalationSetup {
  /** The route's `escalate` list, as TOML; default `["error_log"]`. */
  readonly escalate?: string;
  /** Keys of `[escalation.email]`, as TOML lines; no table when undefined. */
  readonly email?: string;
  /** Keys of `[escalation.webhook]`, as TOML lines; no table when undefined. */
  readonly webhook?: string;
  /** Keys of `[escalation.alerts]`, as TOML lines. */
  readonly alerts?: string;
  /** Lines added to `[routes.default]`. */
  readonly route?: string;
  /** Replaces the keys of `[defaults.breaker]` (3 failures open it for 60 s). */
  readonly breaker?: string;
  /** More tables, such as `[server]`. */
  readonly extra?: string;
}

/** A test gateway that records every `escalation` event. */
export interface EscalationRelay extends TestGateway {
  readonly deliveries: EscalationDeliveryEvent[];
  /** The error log's lines, parsed; empty when the file does not exist. */
  errorLogLines(): Record<string, unknown>[];
}

/** Returns the `[escalation.email]` keys for an SMTP server at `url`. */
export function emailKeys(url: string, extra = ''): string {
  return [
    `url = "${url}"`,
    'from = "sms-relay <relay@example.com>"',
    'to = ["ops@example.com"]',
    extra,
  ].join('\n');
}

/** Returns the `[escalation.webhook]` keys for a receiver at `url`. */
export function webhookKeys(url: string, extra = ''): string {
  return [`url = "${url}"`, 'secret = "${WEBHOOK_SECRET}"', extra].join('\n');
}

/** Builds the TOML of a two-simulator gateway with the given escalation setup. */
export function escalationToml(setup: EscalationSetup): string {
  const tables = [
    setup.email === undefined ? '' : `[escalation.email]\n${setup.email}`,
    setup.webhook === undefined ? '' : `[escalation.webhook]\n${setup.webhook}`,
    setup.alerts === undefined ? '' : `[escalation.alerts]\n${setup.alerts}`,
    setup.extra ?? '',
  ];
  const toml = gatewayToml({
    defaultRoute: [
      'providers = ["sim-a", "sim-b"]',
      `escalate = ${setup.escalate ?? '["error_log"]'}`,
      setup.route ?? '',
    ].join('\n'),
    extra: tables.join('\n\n'),
  });
  const breaker = '[defaults.breaker]\nfailure_threshold = 3\nopen_duration_ms = 60000';
  if (setup.breaker !== undefined && !toml.includes(breaker)) {
    throw new Error('the shared test config no longer has the expected [defaults.breaker]');
  }
  return setup.breaker === undefined
    ? toml
    : toml.replace(breaker, `[defaults.breaker]\n${setup.breaker}`);
}

/** Starts a test gateway for `setup`, with the webhook secret in its environment. */
export function startRelay(
  setup: EscalationSetup,
  options: TestGatewayOptions = {},
): EscalationRelay {
  const relay = createTestGateway(escalationToml(setup), {
    ...options,
    env: { WEBHOOK_SECRET, ...options.env },
  });
  const deliveries: EscalationDeliveryEvent[] = [];
  relay.gateway.events.on('escalation', (event) => deliveries.push(event));

  return Object.assign(relay, {
    deliveries,
    errorLogLines: () => readErrorLog(join(relay.dataDir, 'escalations.jsonl')),
  });
}

/** Switches both simulators to failing, so that every message is escalated. */
export function failBothProviders(relay: TestGateway): void {
  relay.simulator('sim-a').simulate({ mode: 'transient' });
  relay.simulator('sim-b').simulate({ mode: 'transient' });
}

function readErrorLog(path: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Waits in real time until `relay` has emitted an `escalation` event matching `predicate`. */
export async function waitForDelivery(
  relay: EscalationRelay,
  predicate: (event: EscalationDeliveryEvent) => boolean,
): Promise<EscalationDeliveryEvent | undefined> {
  await vi.waitFor(() => expect(relay.deliveries.some(predicate)).toBe(true), {
    timeout: 10_000,
    interval: 5,
  });
  return relay.deliveries.find(predicate);
}

/** Returns the `escalation` events of one channel so far. */
export function deliveriesOf(
  relay: EscalationRelay,
  channel: EscalationDeliveryEvent['channel'],
): EscalationDeliveryEvent[] {
  return relay.deliveries.filter((event) => event.channel === channel);
}
