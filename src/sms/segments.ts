/**
 * Maximum message body length in Unicode code points, so a character outside the Basic
 * Multilingual Plane (most emoji) counts once rather than as its two UTF-16 code units.
 *
 * NOTE: Twilio documents a 1,600-character limit without saying how it counts. If it counts UTF-16
 * code units, a body of up to 1,600 code points with characters outside the Basic Multilingual
 * Plane (emoji) can still exceed its limit and be rejected with error 21617.
 */
export const MAX_BODY_LENGTH = 1600;

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  readonly encoding: SmsEncoding;
  readonly segments: number;
  /** Septets for GSM-7 (an extension character costs 2), UTF-16 code units for UCS-2. */
  readonly units: number;
}

/** Unit capacity of a single-part message and of each part of a concatenated one. */
const CAPACITY: Record<SmsEncoding, { readonly single: number; readonly part: number }> = {
  // 140 octets hold 160 septets, and the concatenation header takes 7 of them in each part.
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
};

// The GSM 03.38 default alphabet, codes 0x00 to 0x7F without ESC (0x1B). Code 0x09 is taken as
// capital Ç (U+00C7), as the GSM standard, ICU's gsm-03.38 tables and Twilio's
// message-segment-calculator map it. Unicode's GSM0338.TXT maps 0x09 to small ç (U+00E7) instead.
// Small ç counts as UCS-2 here, because an encoder that follows the standard has no GSM-7 code for
// it, and counting it as GSM-7 would under-estimate the segments.
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);

// The extension table, reached by ESC (0x1B) plus one code, so each costs 2 septets.
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');

/**
 * Counts the characters of a body as `MAX_BODY_LENGTH` does: in Unicode code points. A lone
 * surrogate counts as one.
 */
export function countCharacters(body: string): number {
  return Array.from(body).length;
}

/**
 * Estimates how a body is encoded and into how many SMS parts it is split. A body is GSM-7 when
 * every character is in the GSM 03.38 default alphabet or its extension table, and UCS-2 (counted
 * in UTF-16 code units, so an emoji costs 2) otherwise. In a concatenated message an ESC pair or
 * a surrogate pair is never split across parts, so a part may end one unit short.
 *
 * This is an estimate: providers may substitute look-alike characters or pick another encoding.
 * An empty body has 0 segments.
 */
export function countSegments(body: string): SegmentCount {
  const encoding: SmsEncoding = isGsm7(body) ? 'GSM-7' : 'UCS-2';
  const unitCost = encoding === 'GSM-7' ? septetCost : utf16Cost;
  const costs = Array.from(body, unitCost);
  const units = costs.reduce((sum, cost) => sum + cost, 0);
  const capacity = CAPACITY[encoding];

  if (units === 0) {
    return { encoding, segments: 0, units };
  }

  if (units <= capacity.single) {
    return { encoding, segments: 1, units };
  }

  return { encoding, segments: countParts(costs, capacity.part), units };
}

function isGsm7(body: string): boolean {
  for (const character of body) {
    if (!GSM_BASIC.has(character) && !GSM_EXTENSION.has(character)) {
      return false;
    }
  }
  return true;
}

function septetCost(character: string): number {
  return GSM_EXTENSION.has(character) ? 2 : 1;
}

function utf16Cost(character: string): number {
  return character.length;
}

// Fills parts character by character: a character whose units do not fit in what is left of the
// current part starts the next one, which is why dividing the total by the capacity can be wrong.
function countParts(costs: readonly number[], capacity: number): number {
  let parts = 1;
  let used = 0;
  for (const cost of costs) {
    if (used + cost > capacity) {
      parts += 1;
      used = 0;
    }
    used += cost;
  }
  return parts;
}
