import { GatewayError, type FieldError } from '../errors.js';
import { messageStatuses as statuses } from '../store/status.js';
import type { ListCursor, MessageFilter, MessageStatus } from '../store/index.js';

/** Page size of `GET /v1/messages` when the client gives no `limit`. */
export const DEFAULT_PAGE_SIZE = 50;

/** Largest `limit` that `GET /v1/messages` accepts. */
export const MAX_PAGE_SIZE = 200;

const parameters = ['status', 'route', 'since', 'until', 'limit', 'cursor'] as const;

/**
 * Parses the query of `GET /v1/messages`: `status`, `route` (one of `routeNames`), `since`
 * (inclusive) and `until` (exclusive) as RFC 3339 times, `limit` and `cursor`. Throws
 * `GatewayError` `unknown_route` when the route is the only problem, else `invalid_request`
 * listing every invalid or unknown parameter.
 */
export function parseListQuery(
  query: Record<string, string[]>,
  routeNames: readonly string[],
): MessageFilter {
  const errors: FieldError[] = [];
  const single = (name: string): string | undefined => {
    const values = query[name];
    if (values && values.length > 1) {
      errors.push({ path: name, code: 'repeated_parameter', message: `${name} may appear once` });
    }
    return values?.[0];
  };

  for (const name of Object.keys(query)) {
    if (!(parameters as readonly string[]).includes(name)) {
      errors.push({
        path: name,
        code: 'unknown_parameter',
        message: `unknown query parameter "${name}"; allowed parameters are ${parameters.join(', ')}`,
      });
    }
  }

  const status = single('status');
  if (status !== undefined && !(statuses as readonly string[]).includes(status)) {
    errors.push({
      path: 'status',
      code: 'invalid_value',
      message: `status must be one of ${statuses.join(', ')}, got "${status}"`,
    });
  }
  const route = single('route');
  // NOTE: a route removed from the config can no longer be used as a filter. Its messages still
  // appear in the unfiltered list.
  const routeError: FieldError | undefined =
    route === undefined || routeNames.includes(route)
      ? undefined
      : {
          path: 'route',
          code: 'unknown_route',
          message: `route "${route}" does not exist; use one of ${routeNames.join(', ')}, or omit route`,
        };
  const since = parseTime('since', single('since'), errors);
  const until = parseTime('until', single('until'), errors);
  if (since !== undefined && until !== undefined && since > until) {
    errors.push({
      path: 'since',
      code: 'invalid_range',
      message: 'since must not be later than until; swap them, or omit one of them',
    });
  }
  const limit = parseLimit(single('limit'), errors);
  const cursorText = single('cursor');
  const cursor = cursorText === undefined ? undefined : decodeCursor(cursorText);
  if (cursorText !== undefined && cursor === undefined) {
    errors.push({
      path: 'cursor',
      code: 'invalid_cursor',
      message: 'cursor must be the next_cursor of an earlier page',
    });
  }

  if (routeError && errors.length === 0) {
    throw new GatewayError('unknown_route', {
      detail: `${capitalize(routeError.message)}.`,
      errors: [routeError],
    });
  }
  if (routeError) {
    errors.push(routeError);
  }
  if (errors.length > 0) {
    const detail =
      errors.length === 1
        ? `${errors[0]?.message ?? ''}.`
        : `The query has ${errors.length} invalid parameters; see "errors".`;
    throw new GatewayError('invalid_request', { detail, errors });
  }
  return {
    limit,
    ...(status === undefined ? {} : { status: status as MessageStatus }),
    ...(route === undefined ? {} : { route }),
    ...(since === undefined ? {} : { createdFrom: since }),
    ...(until === undefined ? {} : { createdBefore: until }),
    ...(cursor === undefined ? {} : { cursor }),
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Encodes a list position as an opaque URL-safe token. */
export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(`${cursor.createdAt}.${cursor.id}`, 'utf8').toString('base64url');
}

/** Decodes a token from `encodeCursor`; undefined when `text` is not one. */
export function decodeCursor(text: string): ListCursor | undefined {
  const match = /^(\d{1,15})\.([\w-]{1,64})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2]) {
    return undefined;
  }
  return { createdAt: Number(match[1]), id: match[2] };
}

// RFC 3339 with a mandatory offset, so that a time is never read in the server's time zone.
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

function parseTime(name: string, text: string | undefined, errors: FieldError[]) {
  if (text === undefined) {
    return undefined;
  }

  const time = rfc3339.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) {
    errors.push({
      path: name,
      code: 'invalid_time',
      message: `${name} must be an RFC 3339 time with an offset, such as 2026-01-31T09:00:00Z`,
    });
    return undefined;
  }
  return time;
}

function parseLimit(text: string | undefined, errors: FieldError[]): number {
  if (text === undefined) {
    return DEFAULT_PAGE_SIZE;
  }

  const limit = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE_SIZE)) {
    errors.push({
      path: 'limit',
      code: 'invalid_value',
      message: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, got "${text}"`,
    });
    return DEFAULT_PAGE_SIZE;
  }
  return limit;
}
