import { describe, expect, it } from 'vitest';

import { MAX_RETRY_AFTER_MS, parseHttpDate, parseRetryAfter } from '../../providers/retry-after.js';

const now = Date.parse('2030-06-15T12:00:00Z');
// The provider's clock runs ten minutes behind ours in the date tests.
const providerDate = 'Sat, 15 Jun 2030 11:50:00 GMT';

describe('parseRetryAfter, delay-seconds', () => {
  it.each([
    ['2', 2000],
    ['0', 0],
    [' 7 ', 7000],
    ['120', 120_000],
  ])('reads "%s" as %i ms', (value, expected) => {
    expect(parseRetryAfter(value, { now })).toBe(expected);
  });

  it('caps a long delay at 300 s', () => {
    expect(parseRetryAfter('86400', { now })).toBe(MAX_RETRY_AFTER_MS);
  });

  it('caps a delay too long for a number', () => {
    expect(parseRetryAfter('9'.repeat(400), { now })).toBe(MAX_RETRY_AFTER_MS);
  });

  it('applies a custom cap', () => {
    expect(parseRetryAfter('60', { now, maxMs: 10_000 })).toBe(10_000);
  });

  it.each(['-1', '1.5', '2s', '1e3', '0x10', '+3', ''])('rejects "%s"', (value) => {
    expect(parseRetryAfter(value, { now })).toBeUndefined();
  });

  it('returns undefined without a header', () => {
    expect(parseRetryAfter(undefined, { now })).toBeUndefined();
  });
});

describe('parseRetryAfter, HTTP-date', () => {
  it('reads an IMF-fixdate against the Date header', () => {
    const value = 'Sat, 15 Jun 2030 11:50:30 GMT';

    expect(parseRetryAfter(value, { now, date: providerDate })).toBe(30_000);
  });

  it('reads an RFC 850 date', () => {
    const value = 'Saturday, 15-Jun-30 11:50:45 GMT';

    expect(parseRetryAfter(value, { now, date: providerDate })).toBe(45_000);
  });

  it('reads an asctime date', () => {
    const value = 'Sat Jun 15 11:51:00 2030';

    expect(parseRetryAfter(value, { now, date: providerDate })).toBe(60_000);
  });

  it('reads an asctime date with a one-digit day', () => {
    const date = 'Sat, 01 Jun 2030 00:00:00 GMT';

    expect(parseRetryAfter('Sat Jun  1 00:00:05 2030', { now, date })).toBe(5000);
  });

  it('counts from the local clock without a Date header', () => {
    const value = 'Sat, 15 Jun 2030 12:00:20 GMT';

    expect(parseRetryAfter(value, { now })).toBe(20_000);
  });

  it('counts from the local clock when the Date header is invalid', () => {
    const value = 'Sat, 15 Jun 2030 12:00:20 GMT';

    expect(parseRetryAfter(value, { now, date: 'yesterday' })).toBe(20_000);
  });

  it('gives 0 for a date in the past', () => {
    const value = 'Sat, 15 Jun 2030 11:49:00 GMT';

    expect(parseRetryAfter(value, { now, date: providerDate })).toBe(0);
  });

  it('caps a far date at 300 s', () => {
    const value = 'Sun, 16 Jun 2030 11:50:00 GMT';

    expect(parseRetryAfter(value, { now, date: providerDate })).toBe(MAX_RETRY_AFTER_MS);
  });

  it.each([
    'soon',
    'Sat, 31 Feb 2030 11:50:00 GMT',
    'Sat, 15 Jun 2030 24:00:00 GMT',
    'Sat, 15 Jun 2030 11:50:00 UTC',
    '2030-06-15T11:50:30Z',
    'Sat, 15 Jun 2030 11:50:00 GMT garbage',
  ])('rejects "%s"', (value) => {
    expect(parseRetryAfter(value, { now, date: providerDate })).toBeUndefined();
  });
});

describe('parseHttpDate, RFC 850 years', () => {
  it('reads a two-digit year within 50 years as this century', () => {
    expect(parseHttpDate('Sunday, 06-Nov-50 08:49:37 GMT', now)).toBe(
      Date.parse('2050-11-06T08:49:37Z'),
    );
  });

  it('reads a two-digit year beyond 50 years as the last century', () => {
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(
      Date.parse('1994-11-06T08:49:37Z'),
    );
  });
});
