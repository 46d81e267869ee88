import { getCountries, getCountryCallingCode } from 'libphonenumber-js';
import { z } from 'zod';

import { deliveryFailureClasses } from '../../providers/delivery.js';
import { channelListSchema } from './escalation-schema.js';
import { didYouMean } from './hints.js';
import { durationMs } from './resilience-schema.js';

/** The route a message takes when it names none and no calling code matches. */
export const DEFAULT_ROUTE = 'default';

/** Country calling codes known to libphonenumber-js, such as "1" and "44". */
const knownCallingCodes = new Set<string>(
  getCountries().map((country) => getCountryCallingCode(country)),
);

const callingCodeSchema = z
  .string()
  .regex(/^[0-9]{1,3}$/, {
    error: 'must be a country calling code of 1 to 3 digits without "+", such as "44"',
    abort: true,
  })
  .refine((code) => knownCallingCodes.has(code), 'must be the calling code of a country');

/**
 * Failure classes after which another provider may deliver the message. A recipient or content
 * failure is never resent: the next provider would fail the same way or route around an opt-out.
 */
export const resendableFailureClasses = [
  'provider_failure',
  'account_failure',
  'temporary_failure',
  'unknown_failure',
] as const;

type ResendableFailureClass = (typeof resendableFailureClasses)[number];

const resendClassSchema = z
  .string()
  .superRefine((value, context) => {
    if ((resendableFailureClasses as readonly string[]).includes(value)) {
      return;
    }
    const known = (deliveryFailureClasses as readonly string[]).includes(value);
    context.addIssue({
      code: 'custom',
      message: known
        ? 'must not be a recipient or content failure, because another provider would fail the ' +
          'same way or bypass an opt-out'
        : `must be one of ${resendableFailureClasses.join(', ')}`,
    });
  })
  .transform((value) => value as ResendableFailureClass);

/** `[routes.<name>.delivery]`: resending through the next provider after a delivery failure. */
const deliveryPolicySchema = z
  .strictObject({
    /** Failure classes whose delivery report resends the message through another provider. */
    resend_on: z.array(resendClassSchema).default([]),
    /** Time after acceptance without a final status after which the message is resent. */
    final_status_timeout_ms: durationMs().optional(),
    /**
     * Whether a delivery failure that no resend follows goes to the route's `escalate` channels,
     * with reason `undelivered`.
     */
    escalate_undelivered: z.boolean().default(true),
  })
  .prefault({});

const routeSchema = z.strictObject({
  providers: z.array(z.string()).min(1),
  deadline_ms: durationMs().default(15_000),
  on_ambiguous: z.enum(['failover', 'stop']).default('failover'),
  calling_codes: z.array(callingCodeSchema).default([]),
  escalate: channelListSchema.default(['error_log']),
  /** Validity of an async message without `expires_at`: it is not sent after this time. */
  async_validity_ms: durationMs().default(3_600_000),
  /** Latest `expires_at` a request may set on this route; `[queue] max_validity_ms` when absent. */
  async_max_validity_ms: durationMs().optional(),
  /** First wait before an async message that found no provider is tried again. */
  async_retry_initial_backoff_ms: durationMs().default(1000),
  /** Longest wait between two sending passes of an async message. */
  async_retry_max_backoff_ms: durationMs().default(60_000),
  delivery: deliveryPolicySchema,
});

const routeName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,63}$/,
    'must be 1 to 64 lowercase letters, digits, "_" or "-", starting with a letter or digit',
  );

/** `[routes.<name>]`: the routes, one of them named `default`. */
export const routesSchema = z.record(routeName, routeSchema).superRefine((routes, context) => {
  if (!Object.hasOwn(routes, DEFAULT_ROUTE)) {
    context.addIssue({ code: 'custom', message: `must include a route named "${DEFAULT_ROUTE}"` });
  }

  const owners = new Map<string, string>();
  for (const [name, route] of Object.entries(routes)) {
    route.calling_codes.forEach((code, index) => {
      const owner = owners.get(code);
      if (owner === undefined) {
        owners.set(code, name);
        return;
      }
      const where = owner === name ? 'this route already lists it' : `route "${owner}" has it`;
      context.addIssue({
        code: 'custom',
        path: [name, 'calling_codes', index],
        message: `must belong to one route only, but ${where}`,
      });
    });
  }
});

export type RouteEntry = z.output<typeof routeSchema>;

/** The provider ids a route may list, by whether the provider is enabled. */
export interface ProviderIndex {
  readonly ids: readonly string[];
  readonly enabled: ReadonlySet<string>;
}

/**
 * Checks one route's provider list against the configured providers: every id known, none
 * repeated, and at least one enabled, because a route whose providers are all disabled cannot
 * send anything. Adds issues under `routes.<name>.providers`.
 */
export function checkRouteProviders(
  name: string,
  route: RouteEntry,
  providers: ProviderIndex,
  context: z.core.$RefinementCtx<unknown>,
): void {
  const path = ['routes', name, 'providers'];
  route.providers.forEach((id, index) => {
    if (!providers.ids.includes(id)) {
      context.addIssue({
        code: 'custom',
        path: [...path, index],
        message: 'must be the id of a configured provider',
        params: { hint: didYouMean(id, providers.ids) },
      });
    } else if (route.providers.indexOf(id) !== index) {
      context.addIssue({
        code: 'custom',
        path: [...path, index],
        message: 'must not repeat a provider of this route',
      });
    }
  });

  const known = route.providers.filter((id) => providers.ids.includes(id));
  if (known.length === route.providers.length && !known.some((id) => providers.enabled.has(id))) {
    const verb = known.length === 1 ? 'is' : 'are';
    context.addIssue({
      code: 'custom',
      path,
      message: `must include an enabled provider, but ${known.join(', ')} ${verb} disabled`,
    });
  }
}

/**
 * Checks that a route's default validity fits under its maximum validity (the route's
 * `async_max_validity_ms`, else `[queue] max_validity_ms`), because a message without
 * `expires_at` would otherwise stay queued longer than any client may ask for.
 */
export function checkRouteValidity(
  name: string,
  route: RouteEntry,
  queueMaxValidityMs: number,
  context: z.core.$RefinementCtx<unknown>,
): void {
  const maxValidityMs = route.async_max_validity_ms ?? queueMaxValidityMs;
  if (route.async_validity_ms <= maxValidityMs) {
    return;
  }

  const source =
    route.async_max_validity_ms === undefined ? '[queue] max_validity_ms' : 'async_max_validity_ms';
  context.addIssue({
    code: 'custom',
    path: ['routes', name, 'async_validity_ms'],
    message: `must be at most ${source} (${maxValidityMs})`,
  });
}
