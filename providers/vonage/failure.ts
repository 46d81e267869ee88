import { classifyResponse, type Classification } from '../classification.js';
import { ProviderError, type ErrorClass } from '../contract.js';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../retry-after.js';
import { isConnectFailureCode } from '../transport.js';
import { vonageClassification } from './classification.js';

/** One entry of `messages[]` in an SMS API response, one per part of the text. */
export interface VonagePart {
  readonly status?: string;
  readonly 'error-text'?: string;
  readonly 'message-id'?: string;
}

/** Wait used for status 1 (throttled) when `error-text` names none. */
export const DEFAULT_THROTTLE_WAIT_MS = 1000;

/**
 * Classifies an HTTP-200 response in which some parts have a non-zero status. When every part
 * failed, the most severe part decides. When some parts went out, sending the text again would
 * repeat them, so the attempt is `ambiguous` unless a part was `rejected`.
 */
export function failedPartsFailure(parts: readonly VonagePart[]): ProviderError {
  const failed = parts.filter((part) => part.status !== '0');
  const accepted = parts.length - failed.length;
  const [worst, classification] = mostSevere(failed);
  const status = worst.status ?? 'missing';
  const retryAfterMs =
    classification.errorClass === 'throttled' ? throttleWaitMs(worst) : undefined;
  const unclassified = classification.unclassified ? ' (unclassified)' : '';
  let message = `Vonage status ${status}: ${classification.meaning}${unclassified}`;

  if (accepted > 0) {
    message += `; ${accepted} of ${parts.length} parts were accepted`;
  }
  if (accepted > 0 && classification.errorClass !== 'rejected') {
    return new ProviderError({
      errorClass: 'ambiguous',
      httpStatus: 200,
      providerCode: status,
      unclassified: classification.unclassified,
      message,
    });
  }
  return new ProviderError({
    errorClass: classification.errorClass,
    httpStatus: 200,
    providerCode: status,
    retryAfterMs,
    configFault: classification.configFault,
    rejection: classification.rejection,
    unclassified: classification.unclassified,
    message,
  });
}

/** Classifies an HTTP error status from the SMS API (the SDK's `VetchError`). */
export function httpStatusFailure(
  httpStatus: number,
  header: (name: string) => string | undefined,
  now: number,
): ProviderError {
  if (httpStatus >= 200 && httpStatus < 300) {
    return new ProviderError({
      errorClass: 'ambiguous',
      httpStatus,
      message: `Vonage returned HTTP ${httpStatus} with a body that could not be read`,
    });
  }
  const classification = classifyResponse(vonageClassification, { httpStatus });
  const unclassified = classification.unclassified ? ' (unclassified)' : '';
  return new ProviderError({
    errorClass: classification.errorClass,
    httpStatus,
    retryAfterMs: parseRetryAfter(header('retry-after'), { now, date: header('date') }),
    configFault: classification.configFault,
    rejection: classification.rejection,
    unclassified: classification.unclassified,
    message: `Vonage HTTP ${httpStatus}: ${classification.meaning}${unclassified}`,
  });
}

/**
 * Classifies a request that got no HTTP response. The SDK hides how far the request got, so only
 * DNS, connect and TLS failures count as not sent. A timeout, reset or hang-up is `ambiguous`.
 */
export function networkFailure(code: string | undefined, timedOut: boolean): ProviderError {
  if (!timedOut && isConnectFailureCode(code)) {
    return new ProviderError({
      errorClass: 'transient',
      message: `Vonage request failed (${code}) before the connection was established`,
    });
  }
  const failure = timedOut ? 'timed out' : `failed (${code ?? 'no error code'})`;
  return new ProviderError({
    errorClass: 'ambiguous',
    message: `Vonage request ${failure}; it may have been sent`,
  });
}

const severity: readonly ErrorClass[] = [
  'rejected',
  'provider',
  'ambiguous',
  'transient',
  'throttled',
];

function mostSevere(failed: readonly VonagePart[]): [VonagePart, Classification] {
  const classified = failed.map((part): [VonagePart, Classification] => [part, classify(part)]);
  classified.sort(
    ([, a], [, b]) =>
      severity.indexOf(a.errorClass) - severity.indexOf(b.errorClass) ||
      Number(b.configFault) - Number(a.configFault),
  );
  const first = classified[0];
  if (first === undefined) {
    throw new RangeError('failedPartsFailure needs at least one failed part');
  }
  return first;
}

function classify(part: VonagePart): Classification {
  const providerCode = part.status;
  const detail = providerCode === '3' ? parameterNamed(part['error-text'] ?? '') : undefined;
  return classifyResponse(vonageClassification, { httpStatus: 200, providerCode, detail });
}

/**
 * Finds the parameter that a status 3 `error-text` names, such as "Invalid to address" or
 * "Invalid from param". Only the name next to a parameter word counts, so that "has to be" does
 * not read as the `to` parameter.
 */
function parameterNamed(errorText: string): 'to' | 'from' | 'callback' | undefined {
  if (namesParameter(errorText, 'from') || /\bsender\b/i.test(errorText)) {
    return 'from';
  }
  if (/callback/i.test(errorText)) {
    return 'callback';
  }
  return namesParameter(errorText, 'to') ? 'to' : undefined;
}

function namesParameter(text: string, name: string): boolean {
  const pattern = new RegExp(
    `\\b${name}\\s+(?:address|param|parameter|number|field|value)\\b` +
      `|\\bparam(?:eter)?\\W+${name}\\b|['"\`]${name}['"\`]`,
    'i',
  );
  return pattern.test(text);
}

/**
 * Reads the wait from a throttled part's `error-text`, such as "Throughput Rate Exceeded - please
 * wait [ 950 ] and retry". Status 1 without a wait gets `DEFAULT_THROTTLE_WAIT_MS`, and other
 * throttled statuses leave the wait to the caller's backoff.
 * NOTE: Vonage does not document the unit of the bracketed number; it is read as milliseconds.
 */
function throttleWaitMs(part: VonagePart): number | undefined {
  const match = /please wait \[\s*(\d+)\s*\]/i.exec(part['error-text'] ?? '');
  if (match?.[1] !== undefined) {
    return Math.min(Number(match[1]), MAX_RETRY_AFTER_MS);
  }
  return part.status === '1' ? DEFAULT_THROTTLE_WAIT_MS : undefined;
}
