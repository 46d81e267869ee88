import { z } from 'zod';

/** The ways a simulated attempt can end. `hang` never responds until the attempt is aborted. */
export const simulatorModes = [
  'ok',
  'transient',
  'throttled',
  'provider',
  'rejected',
  'ambiguous',
  'hang',
] as const;
export type SimulatorMode = (typeof simulatorModes)[number];

/** Config keys of a `simulator` provider; the same keys change it at run time. */
export const simulatorOptions = {
  mode: z.enum(simulatorModes).default('ok'),
  /** Delay before the simulated response, in milliseconds. */
  latency_ms: z.number().int().min(0).max(60_000).default(20),
  /** Share of attempts that end as `mode` sets; the rest succeed. Ignored when `mode` is `ok`. */
  failure_rate: z.number().min(0).max(1).default(1),
};
