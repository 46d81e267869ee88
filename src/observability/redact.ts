// A run of seven or more digits, optionally after a `+` and with the separators people type
// between digits, which is how a phone number looks inside free text.
const DIGIT_RUN = /\+?\d(?:[\s().-]*\d){6,}/g;

/**
 * Replaces what looks like a phone number in free text (a client reference, an operator's
 * reason) with `[number removed]`, so that such text can be logged and shown.
 */
export function removePhoneNumbers(text: string): string {
  return text.replace(DIGIT_RUN, '[number removed]');
}
