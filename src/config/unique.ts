import type { z } from 'zod';

/**
 * Returns a refinement that reports every item of a list whose `field` repeats an earlier item's,
 * as in `providers[2].id must differ from providers[0].id`. Items that are not tables, or whose
 * field is missing, are skipped, so the check can run while other items still have issues.
 */
export function requireUniqueField(listName: string, field: string) {
  return (items: unknown, context: z.core.$RefinementCtx<unknown>): void => {
    if (!Array.isArray(items)) {
      return;
    }

    const firstIndex = new Map<unknown, number>();
    items.forEach((item: unknown, index) => {
      const value = (item as Record<string, unknown> | null)?.[field];
      if (value === undefined || value === '') {
        return;
      }

      const first = firstIndex.get(value);
      if (first === undefined) {
        firstIndex.set(value, index);
        return;
      }
      context.addIssue({
        code: 'custom',
        path: [index, field],
        message: `must differ from ${listName}[${first}].${field}`,
      });
    });
  };
}
