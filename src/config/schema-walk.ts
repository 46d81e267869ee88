import type { z } from 'zod';

import { valueAt, type ConfigPath } from './paths.js';

// Finds the schema that validates a given place in a document, by reading the definition objects
// that zod keeps on every schema (`schema._zod.def`).
// NOTE: those objects are zod internals (read here as of zod 4.6). If their layout changes, the
// tests of environment conversion and of unknown-key hints fail.

type Schema = z.core.$ZodType;

interface Definition {
  readonly type: string;
  readonly innerType?: Schema;
  readonly in?: Schema;
  readonly out?: Schema;
  readonly shape?: Readonly<Record<string, Schema>>;
  readonly element?: Schema;
  readonly valueType?: Schema;
  readonly options?: readonly Schema[];
  readonly discriminator?: string;
}

const wrapperTypes = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch']);

function definitionOf(schema: Schema): Definition {
  return schema._zod.def as unknown as Definition;
}

/** Strips defaults, optionality and transforms down to the schema that checks the input. */
function unwrap(schema: Schema): Schema {
  let current = schema;
  for (;;) {
    const definition = definitionOf(current);
    if (wrapperTypes.has(definition.type) && definition.innerType !== undefined) {
      current = definition.innerType;
    } else if (definition.type === 'pipe' && definition.in !== undefined) {
      // A preprocess pipe starts with its transform, so the checking schema is `out`.
      const input = definitionOf(definition.in);
      current = input.type === 'transform' && definition.out ? definition.out : definition.in;
    } else {
      return current;
    }
  }
}

/** Picks the option of a discriminated union that the value selects; other schemas pass through. */
function selectVariant(schema: Schema, value: unknown): Schema | undefined {
  const definition = definitionOf(schema);
  if (definition.type !== 'union') {
    return schema;
  }
  if (definition.discriminator === undefined || value === null || typeof value !== 'object') {
    return undefined;
  }

  const key = definition.discriminator;
  const selector = (value as Record<string, unknown>)[key];
  return definition.options?.find((option) => {
    const propValues = (option._zod as { propValues?: Record<string, Set<unknown>> }).propValues;
    return propValues?.[key]?.has(selector) ?? false;
  });
}

function childSchema(schema: Schema, segment: PropertyKey): Schema | undefined {
  const definition = definitionOf(schema);
  switch (definition.type) {
    case 'object': {
      const shape = definition.shape;
      if (typeof segment !== 'string' || shape === undefined || !Object.hasOwn(shape, segment)) {
        return undefined;
      }
      return shape[segment];
    }
    case 'array':
      return typeof segment === 'number' ? definition.element : undefined;
    case 'record':
      return definition.valueType;
    default:
      return undefined;
  }
}

/**
 * Returns the schema that checks the value at `path` of `document`, with wrappers removed.
 * Discriminated unions are resolved by the document's own discriminator values. Returns undefined
 * when the path leaves the schema or a union cannot be resolved.
 */
export function schemaAt(root: Schema, document: unknown, path: ConfigPath): Schema | undefined {
  let schema: Schema | undefined = root;
  let node = document;

  for (const segment of path) {
    schema = selectVariant(unwrap(schema), node);
    schema = schema === undefined ? undefined : childSchema(schema, segment);
    if (schema === undefined) {
      return undefined;
    }
    node = valueAt(node, [segment]);
  }

  return selectVariant(unwrap(schema), node);
}

/** Returns the zod type name (`number`, `boolean`, `object`, ...) of a resolved schema. */
export function schemaType(schema: Schema): string {
  return definitionOf(schema).type;
}

/** Returns the keys a resolved object schema allows, or an empty list for any other schema. */
export function allowedKeys(schema: Schema): string[] {
  const definition = definitionOf(schema);
  return definition.type === 'object' && definition.shape ? Object.keys(definition.shape) : [];
}
