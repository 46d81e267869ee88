/** Maximum wait taken from a `Retry-After` hint, in ms. Longer hints are capped (Envoy uses 300 s). */
export const MAX_RETRY_AFTER_MS = 300_000;

export interface RetryAfterOptions {
  /** Local time in milliseconds since the epoch, used when the response has no valid `Date`. */
  readonly now: number;
  /**
   * The response's `Date` header. An HTTP-date hint counts from it rather than from the local
   * clock, so that clock skew between us and the provider cancels out.
   */
  readonly date?: string | undefined;
  /** Cap in milliseconds, `MAX_RETRY_AFTER_MS` by default. */
  readonly maxMs?: number;
}

/**
 * Parses a `Retry-After` header value (RFC 9110 §10.2.3) into a wait in milliseconds.
 *
 * Accepts delay-seconds (digits only: no sign, fraction or unit) and the three HTTP-date forms
 * (IMF-fixdate, RFC 850, asctime). A date in the past gives 0 and any wait longer than the cap
 * gives the cap. Returns `undefined` for a missing or invalid value, so that the caller falls back
 * to its own backoff.
 */
export function parseRetryAfter(
  value: string | undefined,
  options: RetryAfterOptions,
): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const maxMs = options.maxMs ?? MAX_RETRY_AFTER_MS;
  const trimmed = value.trim();

  if (/^\d+$/.test(trimmed)) {
    // Number() of a digit string longer than 308 digits is Infinity, which the cap also clamps.
    return Math.min(Number(trimmed) * 1000, maxMs);
  }

  const target = parseHttpDate(trimmed, options.now);
  if (target === undefined) {
    return undefined;
  }
  const reference = parseHttpDate(options.date?.trim() ?? '', options.now) ?? options.now;
  return Math.min(Math.max(target - reference, 0), maxMs);
}

const weekdays = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const longWeekdays = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const monthNames = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
];
const month = `(${monthNames.join('|')})`;
const time = '(\\d{2}):(\\d{2}):(\\d{2})';

// The three forms of RFC 9110 §5.6.7, case-sensitive as the RFC defines them.
const imfFixdate = new RegExp(`^${weekdays}, (\\d{2}) ${month} (\\d{4}) ${time} GMT$`);
const rfc850Date = new RegExp(`^${longWeekdays}, (\\d{2})-${month}-(\\d{2}) ${time} GMT$`);
const asctimeDate = new RegExp(`^${weekdays} ${month} (\\d{2}| \\d) ${time} (\\d{4})$`);

/**
 * Parses an HTTP-date into milliseconds since the epoch, or `undefined` when the text is not one
 * of the three forms or names an impossible date. The weekday is not checked against the date.
 * `now` resolves the two-digit year of the RFC 850 form.
 */
export function parseHttpDate(text: string, now: number): number | undefined {
  let match = imfFixdate.exec(text);
  if (match) {
    const [, day, monthName, year, hour, minute, second] = match;
    return utc(year, monthName, day, hour, minute, second);
  }

  match = rfc850Date.exec(text);
  if (match) {
    const [, day, monthName, shortYear, hour, minute, second] = match;
    const year = String(fullYearOf(Number(shortYear), now));
    return utc(year, monthName, day, hour, minute, second);
  }

  match = asctimeDate.exec(text);
  if (match) {
    const [, monthName, day, hour, minute, second, year] = match;
    return utc(year, monthName, day, hour, minute, second);
  }
  return undefined;
}

/**
 * Expands a two-digit year as RFC 9110 §5.6.7 requires. A year that would lie more than 50 years
 * in the future means the most recent past year with the same last two digits.
 */
function fullYearOf(shortYear: number, now: number): number {
  const currentYear = new Date(now).getUTCFullYear();
  let year = currentYear - (currentYear % 100) + shortYear;
  if (year > currentYear + 50) {
    year -= 100;
  }
  return year;
}

function utc(
  yearText: string | undefined,
  monthName: string | undefined,
  dayText: string | undefined,
  hourText: string | undefined,
  minuteText: string | undefined,
  secondText: string | undefined,
): number | undefined {
  const year = Number(yearText);
  const monthIndex = monthNames.indexOf(monthName ?? '');
  const day = Number(dayText?.trim());
  const hour = Number(hourText);
  const minute = Number(minuteText);
  const second = Number(secondText);

  // Second 60 is a leap second, which RFC 9110 allows. Date.UTC rolls it into the next minute.
  if (hour > 23 || minute > 59 || second > 60 || day < 1) {
    return undefined;
  }
  // Date.UTC rolls a date such as 31 Feb over into March, so compare the day to reject it.
  if (new Date(Date.UTC(year, monthIndex, day)).getUTCDate() !== day) {
    return undefined;
  }
  return Date.UTC(year, monthIndex, day, hour, minute, second);
}
