import { classifyResponse } from '../classification.js';
import { ProviderError } from '../contract.js';
import { parseRetryAfter } from '../retry-after.js';
import { headerValue, TransportError, transportFailure, type HttpResponse } from '../transport.js';
import { twilioClassification } from './classification.js';

/**
 * Classifies a failed create-message call. `response` is the last HTTP response of the attempt,
 * when there was one. Twilio's error text often quotes the To number, so messages are built from
 * the status, the code and the table's meaning, never from the body.
 */
export function twilioFailure(
  error: unknown,
  response: HttpResponse | undefined,
  now: number,
): ProviderError {
  if (error instanceof TransportError) {
    return transportFailure('Twilio', error);
  }
  if (response === undefined) {
    // The SDK threw before any request, so nothing was sent. A retry would fail the same way.
    return new ProviderError({
      errorClass: 'provider',
      unclassified: true,
      message: `Twilio SDK failed before sending the request (${errorName(error)})`,
    });
  }

  const { statusCode } = response;
  if (statusCode >= 200 && statusCode < 300) {
    return new ProviderError({
      errorClass: 'ambiguous',
      httpStatus: statusCode,
      message: `Twilio returned HTTP ${statusCode} with a body that is not a message resource`,
    });
  }

  const providerCode = errorCodeOf(response.body);
  const classification = classifyResponse(twilioClassification, {
    httpStatus: statusCode,
    providerCode,
  });
  const retryAfterMs = parseRetryAfter(headerValue(response.headers, 'retry-after'), {
    now,
    date: headerValue(response.headers, 'date'),
  });
  const code = providerCode === undefined ? '' : `, code ${providerCode}`;
  const unclassified = classification.unclassified ? ' (unclassified)' : '';

  return new ProviderError({
    errorClass: classification.errorClass,
    httpStatus: statusCode,
    providerCode,
    retryAfterMs,
    configFault: classification.configFault,
    rejection: classification.rejection,
    unclassified: classification.unclassified,
    message: `Twilio HTTP ${statusCode}${code}: ${classification.meaning}${unclassified}`,
  });
}

/** Reads `code` from a Twilio error body (legacy or RFC 9457 shape), or `undefined`. */
function errorCodeOf(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const code = (parsed as { code?: unknown } | null)?.code;
  return typeof code === 'number' || (typeof code === 'string' && code !== '')
    ? String(code)
    : undefined;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
