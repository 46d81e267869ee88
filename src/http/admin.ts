import { Hono } from 'hono';
import type { Logger } from 'pino';
import { z } from 'zod';

import { simulatorModes } from '../../providers/simulator/options.js';
import { SimulatorProvider } from '../../providers/simulator/index.js';
import { GatewayError } from '../errors.js';
import type { Gateway } from '../gateway.js';
import type { AppEnv } from './context.js';
import { problem } from './problem.js';
import { providerStatus } from '../status/status.js';

const simulateSchema = z.strictObject({
  mode: z.enum(simulatorModes),
  latency_ms: z.number().int().min(0).max(60_000).optional(),
  failure_rate: z.number().min(0).max(1).optional(),
});

/** Routes under `/admin`, behind the admin token. */
export function adminRoutes(gateway: Gateway, logger: Logger): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.post('/providers/:id/simulate', async (c) => {
    const id = c.req.param('id');
    const slot = gateway.slots.get(id);
    if (!slot) {
      throw problem('not_found', `No enabled provider has the id "${id}"; see GET /v1/providers.`);
    }
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
