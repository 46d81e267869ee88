import { describe, expect, it } from 'vitest';
import {
  isSupportedRegion,
  isValidSenderId,
  maskPhoneNumber,
  normalizeRecipient,
  normalizeSender,
  type CountryCode,
  type NormalizeRecipientResult,
} from '../../src/sms/index.js';

const possible = { validation: 'possible' } as const;
const strict = { validation: 'strict' } as const;

function expectE164(result: NormalizeRecipientResult): string {
  if (!result.ok) {
    throw new Error(`expected a normalized number, got ${result.code}: ${result.message}`);
  }
  return result.e164;
}

function expectError(result: NormalizeRecipientResult): { code: string; message: string } {
  if (result.ok) {
    throw new Error(`expected an error, got ${result.e164}`);
  }
  return result;
}

describe('normalizeRecipient', () => {
  it('drops a trunk 0 written after the country code', () => {
    const result = normalizeRecipient('+44 07700 900123', possible);

    expect(result).toEqual({ ok: true, e164: '+447700900123', countryCallingCode: '44' });
  });

  it('drops a trunk 0 in a compact number', () => {
    // A regex such as ^\+[1-9]\d{1,14}$ accepts this input unchanged, but providers reject it.
    expect(expectE164(normalizeRecipient('+4407700900123', possible))).toBe('+447700900123');
  });

  it('rejects a national number without default region', () => {
    const error = expectError(normalizeRecipient('07700 900123', possible));

    expect(error.code).toBe('missing_country_code');
    expect(error.message).toMatch(/country code/);
  });

  it('normalizes a formatted US number', () => {
    const result = normalizeRecipient('+1 (500) 555-0006', possible);

    expect(result).toEqual({
      ok: true,
      e164: '+15005550006',
      countryCallingCode: '1',
      region: 'US',
    });
  });

  it('uses the default region for national numbers', () => {
    const result = normalizeRecipient('07700 900123', { ...possible, defaultRegion: 'GB' });

    expect(expectE164(result)).toBe('+447700900123');
  });

  it('reports the region of the default region', () => {
    const result = normalizeRecipient('(415) 555-0100', { ...possible, defaultRegion: 'US' });

    expect(result).toEqual({
      ok: true,
      e164: '+14155550100',
      countryCallingCode: '1',
      region: 'US',
    });
  });

  it('ignores the default region for international numbers', () => {
    const result = normalizeRecipient('+44 7700 900123', { ...possible, defaultRegion: 'US' });

    expect(expectE164(result)).toBe('+447700900123');
  });

  it('reads a leading 00 as the international prefix', () => {
    expect(expectE164(normalizeRecipient('0044 7700 900123', possible))).toBe('+447700900123');
  });

  it('reads 00 as international where the region uses 011', () => {
    const result = normalizeRecipient('0044 7700 900123', { ...possible, defaultRegion: 'US' });

    expect(expectE164(result)).toBe('+447700900123');
  });

  it.each([
    ['+1 415.555.0100'],
    ['+1-415-555-0100'],
    ['+1 (415) 555 0100'],
    ['  +14155550100  '],
    ['+1\u00a0415\u00a0555\u00a00100'],
    ['+1 415\u2013555\u20130100'],
  ])('accepts separators in %j', (input) => {
    expect(expectE164(normalizeRecipient(input, possible))).toBe('+14155550100');
  });

  it('accepts a possible but unassigned number by default', () => {
    // +44 7700 900xxx is a range reserved for drama, so it is possible but not valid.
    expect(expectE164(normalizeRecipient('+447700900123', possible))).toBe('+447700900123');
  });

  it('rejects a possible but unassigned number when strict', () => {
    const error = expectError(normalizeRecipient('+447700900123', strict));

    expect(error.code).toBe('invalid_phone_number');
    expect(error.message).toMatch(/assigned number range/);
  });

  it('checks strict numbers against the full metadata', () => {
    // The default metadata's loose German pattern accepts this area code; the full one does not.
    expect(normalizeRecipient('+491000555012', possible).ok).toBe(true);
    expect(normalizeRecipient('+491000555012', strict).ok).toBe(false);
  });

  it('accepts an assigned number when strict', () => {
    expect(expectE164(normalizeRecipient('+1 415 555 0100', strict))).toBe('+14155550100');
  });

  it('rejects letters of a vanity number', () => {
    const error = expectError(normalizeRecipient('+1-800-FLOWERS', possible));

    expect(error.code).toBe('invalid_phone_number');
    expect(error.message).toMatch(/letters/);
  });

  it.each([[''], ['   ']])('rejects the empty input %j', (input) => {
    const error = expectError(normalizeRecipient(input, possible));

    expect(error.code).toBe('invalid_phone_number');
    expect(error.message).toMatch(/empty/);
  });

  it('rejects more than 15 digits', () => {
    // German metadata allows this length, but E.164 does not.
    const error = expectError(normalizeRecipient('+49 30 123456789012', possible));

    expect(error.code).toBe('invalid_phone_number');
    expect(error.message).toMatch(/more than 15 digits/);
  });

  it.each([
    ['too many digits', '+44 7700 9001 2345 67', /too many digits for country code \+44/],
    ['too few digits', '+44 1234', /too few digits for country code \+44/],
    ['an unknown country code', '+999 1234567', /unknown country code/],
    ['a plus after the start', '(+44) 7700 900123', /invalid character/],
    ['a slash', '+44 7700/900123', /invalid character/],
    ['a lone plus', '+', /no digits/],
    ['a long national number', '07700 900123 999', /too many digits/],
  ])('rejects %s', (_case, input, message) => {
    const error = expectError(normalizeRecipient(input, { ...possible, defaultRegion: 'GB' }));

    expect(error.code).toBe('invalid_phone_number');
    expect(error.message).toMatch(message);
  });

  it.each([
    ['+44 7700 9001 2345 67'],
    ['+447700900123'],
    ['+1-800-FLOWERS'],
    ['07700 900123'],
    ['+999 1234567'],
  ])('keeps %j out of the error message', (input) => {
    const error = expectError(normalizeRecipient(input, strict));
    const digits = input.replace(/\D/g, '');

    expect(error.message).not.toContain(digits);
    expect(error.message).not.toContain(input);
  });

  it('throws on an unsupported default region', () => {
    const options = { ...possible, defaultRegion: 'XX' as CountryCode };

    expect(() => normalizeRecipient('07700 900123', options)).toThrow(RangeError);
  });
});

describe('isSupportedRegion', () => {
  it('accepts a known region', () => {
    expect(isSupportedRegion('GB')).toBe(true);
  });

  it('rejects an unknown region', () => {
    expect(isSupportedRegion('XX')).toBe(false);
  });
});

describe('maskPhoneNumber', () => {
  it.each([
    ['+14155550100', '+1415***0100'],
    ['+447700900123', '+44770***0123'],
    ['+4930123456789', '+49301****6789'],
    ['+80012345678', '+8001***5678'],
    ['+3541234567', '+354***4567'],
    ['+2901234', '+290***4'],
    ['+290123', '+290***'],
  ])('masks %s as %s', (input, masked) => {
    expect(maskPhoneNumber(input)).toBe(masked);
  });

  it('masks at least three digits of every length', () => {
    for (let length = 1; length <= 14; length++) {
      const national = '123456789012345'.slice(0, length);
      const masked = maskPhoneNumber(`+1${national}`);
      const hidden = masked.split('').filter((character) => character === '*').length;

      expect(hidden).toBe(Math.max(Math.min(3, length), length - 7));
    }
  });

  it('masks a number without country code', () => {
    expect(maskPhoneNumber('07700 900123')).toBe('077****0123');
  });
});

describe('normalizeSender', () => {
  it.each([['ACME'], ['Acme Alerts'], ['A'], ['Ops 24x7'], ['1Password']])(
    'accepts the sender ID %j',
    (from) => {
      expect(normalizeSender(from)).toEqual({ ok: true, sender: from, kind: 'alphanumeric' });
    },
  );

  it('rejects a 12-character sender ID', () => {
    const result = normalizeSender('AcmeAlerts12');

    expect(result.ok).toBe(false);
    expect(result.ok ? undefined : result.code).toBe('invalid_sender');
  });

  it.each([
    ['digits only', '12345'],
    ['international prefix', '00447700900123'],
    ['empty', ''],
    ['spaces only', '   '],
    ['punctuation', 'ACME!'],
    ['non-ASCII letter', 'Café'],
    ['short number', '+12'],
  ])('rejects %s', (_case, from) => {
    const result = normalizeSender(from);

    expect(result.ok ? undefined : result.code).toBe('invalid_sender');
  });

  it('normalizes an E.164 sender', () => {
    const result = normalizeSender('+1 (500) 555-0006');

    expect(result).toEqual({ ok: true, sender: '+15005550006', kind: 'phone_number' });
  });

  it('drops a trunk 0 from a sender number', () => {
    const result = normalizeSender('+4407700900123');

    expect(result.ok ? result.sender : result.message).toBe('+447700900123');
  });
});

describe('isValidSenderId', () => {
  it('accepts an 11-character sender ID', () => {
    expect(isValidSenderId('Acme Alerts')).toBe(true);
  });

  it('accepts an E.164 number', () => {
    expect(isValidSenderId('+15005550006')).toBe(true);
  });

  it('rejects a 12-character sender ID', () => {
    expect(isValidSenderId('AcmeAlerts12')).toBe(false);
  });

  it('rejects digits without a plus', () => {
    expect(isValidSenderId('15005550006')).toBe(false);
  });
});
