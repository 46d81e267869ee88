import type { ErrorClass, RejectionCode } from './contract.js';

/**
 * One row of an adapter's classification table. A row applies when every key it sets matches the
 * provider's response, and keys it leaves out match anything.
 */
export interface ClassificationRow {
  readonly httpStatus?: number;
  /** The provider's own error code, as a string (Twilio `code`, Vonage per-message `status`). */
  readonly providerCode?: string;
  /** A qualifier the adapter reads from the response, such as the parameter an error names. */
  readonly detail?: string;
  readonly errorClass: ErrorClass;
  /** For `provider` rows: the fault is our credentials, account or sender at this provider. */
  readonly configFault?: boolean;
  /** For `rejected` rows: the problem code the client receives. */
  readonly rejection?: RejectionCode;
  /** Meaning of the response, in words that are safe to log. */
  readonly meaning: string;
}

/** A provider's response, reduced to the fields the tables match on. */
export interface ProviderResponse {
  readonly httpStatus: number;
  readonly providerCode?: string | undefined;
  readonly detail?: string | undefined;
}

export interface Classification {
  readonly errorClass: ErrorClass;
  readonly configFault: boolean;
  readonly rejection: RejectionCode | undefined;
  /** True when no row matched and the default rule applied. */
  readonly unclassified: boolean;
  readonly meaning: string;
}

/** Builds a `rejected` row: the message or recipient is at fault, at every provider. */
export function rejectedRow(
  httpStatus: number,
  providerCode: string,
  rejection: RejectionCode,
  meaning: string,
): ClassificationRow {
  return { httpStatus, providerCode, errorClass: 'rejected', rejection, meaning };
}

/** Builds a `provider` row with a configuration fault: our account or sender is wrong. */
export function configFaultRow(
  httpStatus: number,
  providerCode: string,
  meaning: string,
): ClassificationRow {
  return { httpStatus, providerCode, errorClass: 'provider', configFault: true, meaning };
}

/** Builds a `provider` row without a configuration fault: fail over, the next one may send. */
export function failoverRow(
  httpStatus: number,
  providerCode: string,
  meaning: string,
): ClassificationRow {
  return { httpStatus, providerCode, errorClass: 'provider', meaning };
}

/** Builds a row of a class that may succeed later at the same provider. */
export function retryRow(
  errorClass: 'transient' | 'throttled' | 'ambiguous',
  httpStatus: number,
  providerCode: string,
  meaning: string,
): ClassificationRow {
  return { httpStatus, providerCode, errorClass, meaning };
}

/**
 * Rows for plain HTTP statuses that mean the same at every provider. A 500 or 504 may come after
 * the provider created the message, so those are `ambiguous`. A 408, 502 or 503 means that the
 * request was not handled. A 404, 405 or 407 on the send endpoint means that the base URL, the
 * account in the path or a proxy is wrong, which no message can fix, so it is a configuration
 * fault rather than a rejected message.
 */
export const httpStatusRows: readonly ClassificationRow[] = [
  { httpStatus: 404, errorClass: 'provider', configFault: true, meaning: 'endpoint not found' },
  { httpStatus: 405, errorClass: 'provider', configFault: true, meaning: 'method not allowed' },
  {
    httpStatus: 407,
    errorClass: 'provider',
    configFault: true,
    meaning: 'proxy authentication required',
  },
  { httpStatus: 408, errorClass: 'transient', meaning: 'request timeout' },
  { httpStatus: 429, errorClass: 'throttled', meaning: 'too many requests' },
  { httpStatus: 500, errorClass: 'ambiguous', meaning: 'internal server error' },
  { httpStatus: 502, errorClass: 'transient', meaning: 'bad gateway' },
  { httpStatus: 503, errorClass: 'transient', meaning: 'service unavailable' },
  { httpStatus: 504, errorClass: 'ambiguous', meaning: 'gateway timeout' },
];

/**
 * Classifies a response with the most specific matching row: a provider-code match outranks a
 * detail match, which outranks an HTTP-status match, and the earlier row wins a tie. Without a
 * matching row the default rule applies (see `defaultClassification`).
 */
export function classifyResponse(
  table: readonly ClassificationRow[],
  response: ProviderResponse,
): Classification {
  let best: ClassificationRow | undefined;
  let bestScore = -1;

  for (const row of table) {
    const score = matchScore(row, response);
    if (score > bestScore) {
      best = row;
      bestScore = score;
    }
  }
  if (best === undefined) {
    return defaultClassification(response.httpStatus);
  }
  return {
    errorClass: best.errorClass,
    configFault: best.configFault ?? false,
    rejection: best.rejection ?? (best.errorClass === 'rejected' ? 'invalid_request' : undefined),
    unclassified: false,
    meaning: best.meaning,
  };
}

/** Returns how specific a matching row is, or -1 when the row does not match. */
function matchScore(row: ClassificationRow, response: ProviderResponse): number {
  if (row.httpStatus !== undefined && row.httpStatus !== response.httpStatus) {
    return -1;
  }
  if (row.providerCode !== undefined && row.providerCode !== response.providerCode) {
    return -1;
  }
  if (row.detail !== undefined && row.detail !== response.detail) {
    return -1;
  }
  return (
    (row.providerCode === undefined ? 0 : 4) +
    (row.detail === undefined ? 0 : 2) +
    (row.httpStatus === undefined ? 0 : 1)
  );
}

/**
 * Classifies a response that no row covers. A 401 or 403 is a credential fault and a 5xx is
 * transient. A 4xx, or a 2xx that carries a provider error code, rejects the message. Any other
 * status (a redirect, say) means that the base URL or a proxy in between is wrong, which is a
 * configuration fault.
 */
export function defaultClassification(httpStatus: number): Classification {
  const unclassified = { unclassified: true, rejection: undefined, configFault: false };

  if (httpStatus === 401 || httpStatus === 403) {
    return {
      ...unclassified,
      errorClass: 'provider',
      configFault: true,
      meaning: 'not authorized',
    };
  }
  if (httpStatus >= 500) {
    return { ...unclassified, errorClass: 'transient', meaning: 'server error' };
  }
  if ((httpStatus >= 400 && httpStatus < 500) || (httpStatus >= 200 && httpStatus < 300)) {
    return {
      ...unclassified,
      errorClass: 'rejected',
      rejection: 'invalid_request',
      meaning: 'request rejected',
    };
  }
  return {
    ...unclassified,
    errorClass: 'provider',
    configFault: true,
    meaning: 'unexpected HTTP status',
  };
}
