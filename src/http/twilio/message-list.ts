import type { FieldError } from '../../errors.js';
import type { ListCursor, MessageFilter } from '../../store/index.js';
import { invalidRequest } from '../message-request.js';
import { decodeCursor, encodeCursor, MAX_PAGE_SIZE } from '../message-list-query.js';

/** Page size of the Messages list when the client gives no `PageSize`, as at Twilio. */
const DEFAULT_PAGE_SIZE = 50;

/** Filters of Twilio's Messages list that the store cannot apply. */
const unsupportedFilters = ['To', 'From', 'DateSent', 'DateSent<', 'DateSent>'];

/** A parsed Messages list query. */
export interface ListQuery {
  readonly filter: MessageFilter;
  /** The `Page` number that Twilio's paging fields report; 0 for the first page. */
  readonly page: number;
}

/**
 * Parses the query of the Messages list: `PageSize` (clamped to the gateway's maximum page size,
 * because twilio-node 6.3.1 sends its `limit` as `PageSize` and follows `next_page_uri` for the rest), `Page` and
 * `PageToken`. Throws `GatewayError` `invalid_request` listing every problem.
 */
export function parseListQuery(query: Record<string, string[]>): ListQuery {
  const errors: FieldError[] = [];
  for (const [name, values] of Object.entries(query)) {
    if (values.length > 1) {
      errors.push({ path: name, code: 'repeated_parameter', message: `${name} may appear once` });
    }
    if (unsupportedFilters.includes(name)) {
      errors.push({
        path: name,
        code: 'unsupported_parameter',
        message: `${name}: the gateway does not filter the Messages list; page through it and filter the messages yourself`,
      });
    } else if (!['PageSize', 'Page', 'PageToken'].includes(name)) {
      errors.push({
        path: name,
        code: 'unknown_parameter',
        message: `unknown query parameter "${name}"; the Messages list takes PageSize, Page and PageToken`,
      });
    }
  }

  const pageSize = wholeNumber('PageSize', query['PageSize']?.[0], 1, errors);
  const page = wholeNumber('Page', query['Page']?.[0], 0, errors);
  const token = query['PageToken']?.[0];
  const cursor = token === undefined ? undefined : decodeCursor(token);
  if (token !== undefined && cursor === undefined) {
    errors.push({
      path: 'PageToken',
      code: 'invalid_cursor',
      message: 'PageToken must come from the next_page_uri of an earlier page',
    });
  }
  // Only a PageToken marks where a page starts, so a Page number alone would return the first
  // page under another number. twilio-node follows next_page_uri, which carries both.
  if (page !== undefined && page > 0 && token === undefined) {
    errors.push({
      path: 'Page',
      code: 'missing_page_token',
      message: `Page ${page} needs the PageToken of that page; follow next_page_uri from the first page instead of setting Page`,
    });
  }
  if (errors.length > 0) {
    throw invalidRequest(errors);
  }

  const limit = Math.min(pageSize ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  return { filter: { limit, ...(cursor === undefined ? {} : { cursor }) }, page: page ?? 0 };
}

function wholeNumber(
  name: string,
  text: string | undefined,
  minimum: number,
  errors: FieldError[],
): number | undefined {
  if (text === undefined) {
    return undefined;
  }
  const number = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!(number >= minimum)) {
    errors.push({
      path: name,
      code: 'invalid_value',
      message: `${name} must be a whole number of at least ${minimum}`,
    });
    return undefined;
  }
  return number;
}

/** Twilio's paging fields of one page of the Messages list. */
export interface PagingFields {
  readonly uri: string;
  readonly first_page_uri: string;
  readonly next_page_uri: string | null;
  readonly previous_page_uri: null;
  readonly page: number;
  readonly page_size: number;
  readonly start: number;
  readonly end: number;
}

/**
 * Returns the paging fields of a page with `count` messages. Pages are read through a cursor
 * that only moves forward, so `previous_page_uri` is always null.
 */
export function pagingFields(
  listPath: string,
  query: ListQuery,
  count: number,
  nextCursor: ListCursor | undefined,
): PagingFields {
  const { limit, cursor } = query.filter;
  const pageUri = (page: number, token: ListCursor | undefined): string => {
    const params = new URLSearchParams({ PageSize: String(limit), Page: String(page) });
    if (token !== undefined) {
      params.set('PageToken', encodeCursor(token));
    }
    return `${listPath}?${params.toString()}`;
  };
  const start = query.page * limit;

  return {
    uri: pageUri(query.page, cursor),
    first_page_uri: pageUri(0, undefined),
    next_page_uri: nextCursor === undefined ? null : pageUri(query.page + 1, nextCursor),
    previous_page_uri: null,
    page: query.page,
    page_size: limit,
    start,
    end: count === 0 ? start : start + count - 1,
  };
}
