import { z } from 'zod';

/**
 * Schema of `server.public_base_url`: the http or https URL at which providers reach the gateway,
 * optionally with a path prefix that a proxy strips. Query, fragment and credentials are errors,
 * because callback URLs are built by appending a path. The output has no trailing `/`.
 */
export const publicBaseUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .superRefine((value, context) => {
    const url = new URL(value);
    const problems = [
      url.search !== '' || value.includes('?') ? 'a query string' : undefined,
      url.hash !== '' || value.includes('#') ? 'a fragment' : undefined,
      url.username !== '' || url.password !== '' ? 'credentials' : undefined,
    ].filter((problem) => problem !== undefined);
    if (problems.length > 0) {
      context.addIssue({
        code: 'custom',
        message: `must not contain ${problems.join(' or ')}; give the origin and an optional path prefix`,
      });
    }
  })
  .transform((value) => value.replace(/\/+$/, ''));
