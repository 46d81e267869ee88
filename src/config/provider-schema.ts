import { z } from 'zod';

import { providerDefinitions, type ProviderType } from '../../providers/registry.js';
import {
  breakerOverrideSchema,
  type breakerSchema,
  durationMs,
  retryOverrideSchema,
  type retrySchema,
} from './resilience-schema.js';
import { requireUniqueField } from './unique.js';

/** Keys every `[[providers]]` table has, next to the keys of its adapter. */
const commonShape = {
  id: z
    .string()
    .max(64, 'must be at most 64 characters long')
    .regex(
      /^[a-z0-9]+(?:-[a-z0-9]+)*$/,
      'must be a lowercase slug: letters a-z and digits, in words joined by single hyphens',
    ),
  enabled: z.boolean().default(true),
  attempt_timeout_ms: durationMs().optional(),
  retry: retryOverrideSchema.optional(),
  breaker: breakerOverrideSchema.optional(),
};

type EntrySchema = z.ZodObject<
  typeof commonShape & { type: z.ZodLiteral<ProviderType> },
  z.core.$strict
>;

/** Builds the strict table schema of one provider type: the common keys plus the adapter's own. */
function entrySchema(type: ProviderType): EntrySchema {
  const options: z.ZodRawShape = providerDefinitions[type].options;
  const clash = Object.keys(options).find(
    (key) => key === 'type' || Object.hasOwn(commonShape, key),
  );
  if (clash !== undefined) {
    throw new Error(`provider type "${type}" declares option "${clash}", a key every provider has`);
  }

  const schema = z.strictObject({ ...commonShape, ...options, type: z.literal(type) });
  const check = providerDefinitions[type].check as
    ((value: unknown) => readonly { key: string; message: string }[]) | undefined;
  const checked = check
    ? schema.superRefine((value, ctx) => {
        for (const problem of check(value)) {
          ctx.addIssue({ code: 'custom', path: [problem.key], message: problem.message });
        }
      })
    : schema;
  return checked as unknown as EntrySchema;
}

const entrySchemas = (Object.keys(providerDefinitions) as ProviderType[]).map(entrySchema);

/** `[[providers]]`: one or more providers, each a table discriminated by `type`. */
export const providersSchema = z
  .array(z.discriminatedUnion('type', entrySchemas as [EntrySchema, ...EntrySchema[]]))
  .min(1)
  .superRefine(requireUniqueField('providers', 'id'), { when: () => true });

export type ProviderEntry = z.output<typeof providersSchema>[number];

/** The options of one provider type, as its adapter's `create` receives them. */
export type ProviderOptions<Type extends ProviderType> = z.output<
  z.ZodObject<(typeof providerDefinitions)[Type]['options']>
>;

/** A provider with the defaults merged in and its adapter's keys gathered in `options`. */
export type ProviderSettings = {
  [Type in ProviderType]: {
    id: string;
    type: Type;
    enabled: boolean;
    attempt_timeout_ms: number;
    retry: z.output<typeof retrySchema>;
    breaker: z.output<typeof breakerSchema>;
    options: ProviderOptions<Type>;
  };
}[ProviderType];

interface ProviderDefaults {
  readonly attempt_timeout_ms: number;
  readonly retry: z.output<typeof retrySchema>;
  readonly breaker: z.output<typeof breakerSchema>;
}

/** Merges `[defaults]` under a provider's own settings and moves its adapter keys to `options`. */
export function buildProvider(entry: ProviderEntry, defaults: ProviderDefaults): ProviderSettings {
  const fields = entry as Record<string, unknown>;
  const optionKeys = Object.keys(providerDefinitions[entry.type].options);
  const options = Object.fromEntries(
    optionKeys.filter((key) => fields[key] !== undefined).map((key) => [key, fields[key]]),
  );

  return {
    id: entry.id,
    type: entry.type,
    enabled: entry.enabled,
    attempt_timeout_ms: entry.attempt_timeout_ms ?? defaults.attempt_timeout_ms,
    retry: { ...defaults.retry, ...entry.retry },
    breaker: { ...defaults.breaker, ...entry.breaker },
    options,
  } as ProviderSettings;
}
