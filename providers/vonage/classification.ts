import {
  configFaultRow,
  httpStatusRows,
  rejectedRow,
  retryRow,
  type ClassificationRow,
} from '../classification.js';

/**
 * Vonage SMS API responses to `POST /sms/json`. Most failures arrive as HTTP 200 with a per-message
 * `status` string, matched here as the provider code with `httpStatus: 200`; a few come from the
 * HTTP layer (401, 403, 429). For status 3 the adapter passes, as `detail`, the parameter that
 * `error-text` names: `to`, `from` or `callback`.
 */
export const vonageClassification: readonly ClassificationRow[] = [
  ...httpStatusRows,
  { httpStatus: 401, errorClass: 'provider', configFault: true, meaning: 'unauthorized' },
  { httpStatus: 403, errorClass: 'provider', configFault: true, meaning: 'forbidden' },

  retryRow('throttled', 200, '1', 'throttled'),
  retryRow('transient', 200, '5', 'internal error'),
  retryRow('throttled', 200, '10', 'too many existing binds'),

  rejectedRow(200, '2', 'invalid_request', 'missing parameters'),
  rejectedRow(200, '3', 'invalid_request', 'invalid parameters'),
  {
    httpStatus: 200,
    providerCode: '3',
    detail: 'to',
    errorClass: 'rejected',
    rejection: 'invalid_recipient',
    meaning: 'invalid to parameter',
  },
  {
    httpStatus: 200,
    providerCode: '3',
    detail: 'from',
    errorClass: 'provider',
    configFault: true,
    meaning: 'invalid from parameter',
  },
  {
    httpStatus: 200,
    providerCode: '3',
    detail: 'callback',
    errorClass: 'provider',
    configFault: true,
    meaning: 'invalid callback parameter',
  },
  rejectedRow(200, '6', 'invalid_recipient', 'invalid message (unroutable number prefix)'),
  rejectedRow(200, '7', 'recipient_unreachable', 'number barred'),
  rejectedRow(200, '12', 'content_rejected', 'message too long'),
  rejectedRow(200, '33', 'recipient_unreachable', 'number deactivated'),

  configFaultRow(200, '4', 'invalid credentials'),
  configFaultRow(200, '8', 'account barred'),
  configFaultRow(200, '9', 'partner quota violation (no credit)'),
  configFaultRow(200, '11', 'account not enabled for HTTP'),
  configFaultRow(200, '14', 'invalid signature'),
  configFaultRow(200, '15', 'invalid sender address'),
  configFaultRow(200, '22', 'invalid network code'),
  configFaultRow(200, '23', 'invalid callback URL'),
  configFaultRow(200, '29', 'non-whitelisted destination (demo account)'),
  configFaultRow(200, '32', 'signature and API secret both sent'),
];
