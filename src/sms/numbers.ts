import * as defaultLibrary from 'libphonenumber-js';
import {
  isSupportedCountry,
  ParseError,
  type CountryCode,
  type PhoneNumber,
} from 'libphonenumber-js';
import * as maxLibrary from 'libphonenumber-js/max';
import defaultMetadata from 'libphonenumber-js/metadata.min.json';

export type { CountryCode } from 'libphonenumber-js';

/**
 * Validation level for recipients. `possible` accepts any number whose length fits its country,
 * so a newly opened number range is not rejected because of stale metadata. `strict` also
 * requires the digits to fall in an assigned range.
 */
export type NumberValidation = 'possible' | 'strict';

export interface NormalizeRecipientOptions {
  readonly validation: NumberValidation;
  /** Region for numbers written without a country code. Without it, such numbers are rejected. */
  readonly defaultRegion?: CountryCode | undefined;
}

export type RecipientErrorCode = 'missing_country_code' | 'invalid_phone_number';

export type NormalizeRecipientResult =
  | {
      readonly ok: true;
      /** The number in E.164 format, such as `+447700900123`. */
      readonly e164: string;
      /** Country calling code without the `+`, such as `44`. */
      readonly countryCallingCode: string;
      /** ISO 3166-1 region, when the metadata can tell it (not for `+800` or unassigned ranges). */
      readonly region?: CountryCode;
    }
  | { readonly ok: false; readonly code: RecipientErrorCode; readonly message: string };

export type NormalizeSenderResult =
  | { readonly ok: true; readonly sender: string; readonly kind: 'phone_number' | 'alphanumeric' }
  | { readonly ok: false; readonly code: 'invalid_sender'; readonly message: string };

/** E.164 allows at most 15 digits, country calling code included. */
const MAX_E164_DIGITS = 15;
const MAX_SENDER_ID_LENGTH = 11;
// Separators that people type or paste into phone numbers are whitespace (no-break space
// included), the hyphen-minus, the Unicode dashes, dots and parentheses.
const SEPARATOR_CLASS = String.raw`\s\-\u2010-\u2015\u2212.()`;
const SEPARATORS = new RegExp(`[${SEPARATOR_CLASS}]`, 'gu');
const ALLOWED_CHARACTERS = new RegExp(`^\\+?[\\d${SEPARATOR_CLASS}]*$`, 'u');
const SENDER_ID = /^[A-Za-z0-9 ]+$/;
// Country calling codes are prefix-free (no code is the start of another), so the first 1 to 3
// digits match at most one of them.
const COUNTRY_CALLING_CODES = new Set([
  ...Object.keys(defaultMetadata.country_calling_codes),
  ...Object.keys(defaultMetadata.nonGeographic),
]);

/**
 * Normalizes a recipient to E.164 with libphonenumber-js. A trunk `0` after the country code
 * (`+44 07700 900123`) is dropped as libphonenumber does. Input may contain spaces, dashes, dots
 * and parentheses; `00` before the country code is read as `+`. Error messages describe the
 * problem without repeating the number.
 *
 * @throws RangeError when `defaultRegion` is not a region that libphonenumber-js supports, which is
 * a configuration error. Invalid input returns an error result instead.
 */
export function normalizeRecipient(
  input: string,
  options: NormalizeRecipientOptions,
): NormalizeRecipientResult {
  return normalizePhoneNumber(input, options, 'Recipient');
}

/** Returns true when `value` is a region code that libphonenumber-js has metadata for. */
export function isSupportedRegion(value: string): value is CountryCode {
  return isSupportedCountry(value);
}

/**
 * Normalizes a sender override: an E.164 number (starting with `+`, normalized like a recipient
 * with `possible` validation) or an alphanumeric sender ID of 1 to 11 ASCII letters, digits and
 * spaces with at least one letter. Digits without a `+` are rejected, because they are neither.
 */
export function normalizeSender(from: string): NormalizeSenderResult {
  if (from.trimStart().startsWith('+')) {
    const result = normalizePhoneNumber(from, { validation: 'possible' }, 'Sender number');
    return result.ok
      ? { ok: true, sender: result.e164, kind: 'phone_number' }
      : { ok: false, code: 'invalid_sender', message: result.message };
  }

  const problem = describeSenderIdProblem(from);
  if (problem !== undefined) {
    return { ok: false, code: 'invalid_sender', message: problem };
  }

  return { ok: true, sender: from, kind: 'alphanumeric' };
}

/** Returns true when `from` is a sender override that `normalizeSender` accepts. */
export function isValidSenderId(from: string): boolean {
  return normalizeSender(from).ok;
}

/**
 * Masks a phone number for logs: keeps the `+`, the country calling code, the first 3 and the
 * last 4 digits of the national number, and replaces each digit between them with `*`
 * (`+14155550100` becomes `+1415***0100`). At least 3 digits, or all of a shorter national number,
 * are masked, so shorter numbers keep fewer digits. Characters other than digits and a leading
 * `+` are dropped. Without a known country code, every digit counts as the national number.
 */
export function maskPhoneNumber(value: string): string {
  const plus = value.trimStart().startsWith('+') ? '+' : '';
  const digits = value.replace(/\D/g, '');
  const countryCode = plus === '' ? '' : findCountryCallingCode(digits);
  const national = digits.slice(countryCode.length);

  const tail = Math.min(4, Math.max(0, national.length - 3));
  const head = Math.min(3, Math.max(0, national.length - 3 - tail));
  const masked = '*'.repeat(national.length - head - tail);
  return `${plus}${countryCode}${national.slice(0, head)}${masked}${national.slice(national.length - tail)}`;
}

function findCountryCallingCode(digits: string): string {
  for (let length = 1; length <= 3; length++) {
    const prefix = digits.slice(0, length);
    if (COUNTRY_CALLING_CODES.has(prefix)) {
      return prefix;
    }
  }

  return '';
}

function normalizePhoneNumber(
  input: string,
  options: NormalizeRecipientOptions,
  subject: string,
): NormalizeRecipientResult {
  const region = options.defaultRegion;
  if (region !== undefined && !isSupportedCountry(region)) {
    throw new RangeError(
      `defaultRegion must be a region code that libphonenumber-js supports, got ${region}`,
    );
  }

  const text = input.trim();
  const problem = describeCharacterProblem(text, subject);
  if (problem !== undefined) {
    return invalid(problem);
  }

  // `00` is the international prefix in most of the world. libphonenumber reads it only when the
  // default region uses it, and with a region such as US it would keep the zeros as digits.
  const compact = text.replace(SEPARATORS, '');
  const international = compact.startsWith('+') || compact.startsWith('00');
  if (!international && region === undefined) {
    return {
      ok: false,
      code: 'missing_country_code',
      message: `${subject} has no country code. Write it in E.164 format, starting with + and the country code (for example +44 for the United Kingdom).`,
    };
  }

  // The default (min) metadata only has loose per-country patterns, so `isValid()` is close to a
  // length check there. `strict` parses with the max metadata, which has every assigned range.
  const library = options.validation === 'strict' ? maxLibrary : defaultLibrary;
  let phoneNumber: PhoneNumber;
  try {
    const withPlus = compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
    phoneNumber = library.parsePhoneNumberWithError(withPlus, {
      defaultCountry: region,
      extract: false,
    });
  } catch (error) {
    if (error instanceof ParseError) {
      return invalid(describeParseError(error.message, subject));
    }
    throw error;
  }

  return checkParsedNumber(phoneNumber, library, options.validation, subject);
}

function checkParsedNumber(
  phoneNumber: PhoneNumber,
  library: typeof defaultLibrary | typeof maxLibrary,
  validation: NumberValidation,
  subject: string,
): NormalizeRecipientResult {
  const countryCode = `+${phoneNumber.countryCallingCode}`;
  if (!phoneNumber.isPossible()) {
    const reason = library.validatePhoneNumberLength(phoneNumber.number);
    return invalid(describeLengthProblem(reason, subject, countryCode));
  }

  // The metadata allows more than 15 digits for a few countries (Germany, for example), but E.164
  // does not.
  if (phoneNumber.number.length - 1 > MAX_E164_DIGITS) {
    return invalid(
      `${subject} has more than ${MAX_E164_DIGITS} digits, the E.164 maximum including the country code. Check for extra digits.`,
    );
  }

  if (validation === 'strict' && !phoneNumber.isValid()) {
    return invalid(
      `${subject} is not in an assigned number range for country code ${countryCode}. Check the digits.`,
    );
  }

  return {
    ok: true,
    e164: phoneNumber.number,
    countryCallingCode: phoneNumber.countryCallingCode,
    ...(phoneNumber.country === undefined ? {} : { region: phoneNumber.country }),
  };
}

function describeCharacterProblem(text: string, subject: string): string | undefined {
  if (text === '') {
    return `${subject} is empty. Send a number in E.164 format, such as +14155550100.`;
  }

  if (/\p{L}/u.test(text)) {
    return `${subject} contains letters. Send the number as digits in E.164 format (letters of vanity numbers are not converted).`;
  }

  if (!ALLOWED_CHARACTERS.test(text)) {
    return `${subject} contains an invalid character. Use digits with optional spaces, dashes, dots and parentheses, and + only as the first character.`;
  }

  if (!/\d/.test(text)) {
    return `${subject} contains no digits. Send a number in E.164 format, such as +14155550100.`;
  }

  return undefined;
}

function describeParseError(reason: string, subject: string): string {
  switch (reason) {
    case 'INVALID_COUNTRY':
      return `${subject} starts with an unknown country code. Check the digits after the +.`;
    case 'TOO_SHORT':
      return `${subject} is too short to be a phone number. Check for missing digits.`;
    case 'TOO_LONG':
      return `${subject} is too long to be a phone number. E.164 allows at most ${MAX_E164_DIGITS} digits.`;
    default:
      return `${subject} is not a phone number. Send it in E.164 format, such as +14155550100.`;
  }
}

function describeLengthProblem(
  reason: string | undefined,
  subject: string,
  countryCode: string,
): string {
  switch (reason) {
    case 'TOO_SHORT':
      return `${subject} has too few digits for country code ${countryCode}. Check for missing digits.`;
    case 'TOO_LONG':
      return `${subject} has too many digits for country code ${countryCode}. Check for extra digits.`;
    default:
      return `${subject} has a number of digits that country code ${countryCode} does not use. Check the digits.`;
  }
}

function describeSenderIdProblem(from: string): string | undefined {
  if (from.length === 0) {
    return 'Sender is empty. Omit the from field to use the configured sender, or send an E.164 number or a sender ID of 1 to 11 characters.';
  }

  if (!SENDER_ID.test(from)) {
    return 'Sender ID contains an invalid character. Use only ASCII letters, digits and spaces, or an E.164 number starting with +.';
  }

  if (from.trim() !== from) {
    return 'Sender ID starts or ends with a space. Remove the spaces around it.';
  }

  if (!/[A-Za-z]/.test(from)) {
    return 'Sender ID needs at least one letter. To send from a phone number, write it in E.164 format, starting with + and the country code.';
  }

  if (from.length > MAX_SENDER_ID_LENGTH) {
    return `Sender ID has ${from.length} characters. Alphanumeric sender IDs allow at most ${MAX_SENDER_ID_LENGTH}.`;
  }

  return undefined;
}

function invalid(message: string): NormalizeRecipientResult {
  return { ok: false, code: 'invalid_phone_number', message };
}
