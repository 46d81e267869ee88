import {
  configFaultRow,
  failoverRow,
  httpStatusRows,
  rejectedRow,
  retryRow,
  type ClassificationRow,
} from '../classification.js';

/**
 * Twilio Messages API (2010-04-01) responses to the create-message call, by HTTP status and the
 * `code` of the error body. Only synchronous codes belong here, because 30xxx codes arrive later
 * in status callbacks. Twilio splits and renames codes over time, so unknown codes fall to the default rule
 * and are reported as unclassified.
 */
export const twilioClassification: readonly ClassificationRow[] = [
  ...httpStatusRows,

  configFaultRow(401, '20003', 'authentication failed'),
  configFaultRow(404, '20404', 'resource not found (wrong account SID)'),
  // Twilio documents that a 20429 request was not processed, so retrying it is safe.
  retryRow('throttled', 429, '20429', 'too many concurrent requests'),
  retryRow('ambiguous', 500, '20500', 'internal server error'),
  retryRow('transient', 503, '20503', 'service unavailable'),

  // The recipient or the message itself is at fault: no other provider will do better.
  rejectedRow(400, '21211', 'invalid_recipient', 'invalid To number'),
  rejectedRow(400, '21265', 'invalid_recipient', 'To is a short code'),
  rejectedRow(400, '21266', 'invalid_request', 'To and From are the same'),
  rejectedRow(400, '21268', 'invalid_recipient', 'To is a premium-rate number'),
  rejectedRow(400, '21602', 'invalid_request', 'Body missing'),
  rejectedRow(400, '21603', 'invalid_request', 'From missing'),
  rejectedRow(400, '21604', 'invalid_request', 'To missing'),
  rejectedRow(400, '21610', 'recipient_opted_out', 'recipient opted out'),
  rejectedRow(400, '21614', 'recipient_unreachable', 'To is not a mobile number'),
  rejectedRow(400, '21635', 'recipient_unreachable', 'To is a landline'),
  rejectedRow(400, '21617', 'content_rejected', 'body exceeds 1600 characters'),
  rejectedRow(400, '21658', 'content_rejected', 'parameter exceeds its character limit'),

  // Our sender or account settings at Twilio are wrong. Another provider may still send it.
  configFaultRow(400, '21212', 'invalid From number'),
  configFaultRow(400, '21408', 'destination not enabled in Geo Permissions'),
  configFaultRow(400, '21601', 'From is not SMS-capable'),
  configFaultRow(400, '21606', 'From is not a valid message-capable Twilio number'),
  configFaultRow(400, '21608', 'trial account cannot send to an unverified number'),
  configFaultRow(400, '21659', 'From is not a Twilio number'),
  configFaultRow(400, '21660', 'From belongs to another account'),

  // Trouble on Twilio's side of this route that another provider does not share.
  failoverRow(400, '21611', 'sender queue holds over 10 hours of messages'),
  failoverRow(400, '21612', 'To and From cannot be connected'),
];
