import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import { z } from 'zod';

import { simulatorModes } from '../../providers/simulator/options.js';
import { SimulatorProvider } from '../../providers/simulator/index.js';
import { removePhoneNumbers } from '../observability/redact.js';
import { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { AppEnv } from './context.js';
import { problem } from './problem.js';
import type { ProviderSlot } from '../resilience/provider-slot.js';
import { providerStatus } from '../status/status.js';

const simulateSchema = z.strictObject({
  mode: z.enum(simulatorModes),
  latency_ms: z.number().int().min(0).max(60_000).optional(),
  failure_rate: z.number().min(0).max(1).optional(),
});

const reasonSchema = z.strictObject({
  reason: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
});

/** The operator actions on a provider, each at `POST /admin/providers/{id}/{action}`. */
export const providerActions = ['drain', 'restore', 'open', 'close', 'reset'] as const;
export type ProviderAction = (typeof providerActions)[number];

/** Routes under `/admin`, behind the admin token. */
export function adminRoutes(gateway: Gateway, logger: Logger): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  for (const action of providerActions) {
    routes.post(`/providers/:id/${action}`, async (c) => {
      const slot = findSlot(gateway, c.req.param('id'));
      const reason = await readReason(c);
      const principal = c.get('principal');
      const changed = applyAction(gateway, slot, action, { reason, principal });

      logger.warn({ principal, provider: slot.id, action, reason, changed }, 'admin action');
      c.set('outcome', `${action}${changed ? '' : '_unchanged'}`);
      return c.json({
        action,
        changed,
        provider: providerStatus(gateway, slot),
        request_id: c.get('requestId'),
      });
    });
  }

  routes.post('/providers/:id/simulate', async (c) => {
    const id = c.req.param('id');
    const slot = findSlot(gateway, id);
    if (!(slot.provider instanceof SimulatorProvider)) {
      throw problem(
        'not_a_simulator',
        `Provider "${id}" is a ${slot.provider.type} provider, not a simulator.`,
      );
    }

    let input: unknown;
    try {
      input = await c.req.json();
    } catch {
      throw problem('invalid_request', 'Send the simulator settings as a JSON object.');
    }
    const parsed = simulateSchema.safeParse(input);
    if (!parsed.success) {
      throw new GatewayError('invalid_request', {
        detail: `Invalid simulator settings; "mode" is one of ${simulatorModes.join(', ')}.`,
        errors: parsed.error.issues.map((issue) => ({
          path: issue.path.join('.'),
          code: issue.code,
          message: issue.message,
        })),
      });
    }

    const settings = slot.provider.simulate(withoutUndefined(parsed.data));
    logger.warn({ provider: id, principal: c.get('principal'), ...settings }, 'simulator changed');
    c.set('outcome', `simulate_${settings.mode}`);
    return c.json({ ...providerStatus(gateway, slot), request_id: c.get('requestId') });
  });
  return routes;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function findSlot(gateway: Gateway, id: string): ProviderSlot {
  const slot = gateway.slots.get(id);
  if (!slot) {
    throw problem('not_found', `No enabled provider has the id "${id}"; see GET /v1/providers.`);
  }
  return slot;
}

/**
 * Reads the required `reason` of an admin action. The reason is logged and shown on the status
 * page, so digit runs that could be a phone number are replaced.
 */
async function readReason(c: Context<AppEnv>): Promise<string> {
  let input: unknown;
  try {
    input = JSON.parse(await c.req.text());
  } catch {
    throw problem('invalid_request', 'Send the action as a JSON object: {"reason": "..."}.');
  }
  const parsed = reasonSchema.safeParse(input);
  if (!parsed.success) {
    throw new GatewayError('invalid_request', {
      detail: 'Every admin action needs a "reason" of 1 to 200 characters, and no other field.',
      errors: parsed.error.issues.map((issue) => ({
        path: issue.path.join('.'),
        code: issue.code,
        message: issue.message,
      })),
    });
  }
  return removePhoneNumbers(parsed.data.reason);
}

/** Applies one operator action and returns whether it changed anything. */
function applyAction(
  gateway: Gateway,
  slot: ProviderSlot,
  action: ProviderAction,
  audit: { reason: string; principal: string },
): boolean {
  const { stats } = gateway;
  const before = slot.breaker.state;
  switch (action) {
    case 'drain':
      if (slot.drained) {
        return false;
      }
      slot.drain();
      stats.recordOperatorChange(slot.id, { from: before, to: 'drained', ...audit });
      return true;
    case 'restore':
      if (!slot.drained) {
        return false;
      }
      slot.restore();
      stats.recordOperatorChange(slot.id, { from: 'drained', to: before, ...audit });
      return true;
    case 'open':
      stats.asOperator(audit.principal, () => slot.breaker.forceOpen(audit.reason));
      return before !== 'open';
    case 'close':
      stats.asOperator(audit.principal, () => slot.breaker.forceClose(audit.reason));
      return before !== 'closed';
    case 'reset':
      slot.breaker.resetCounters();
      stats.reset(slot.id);
      return true;
  }
}
