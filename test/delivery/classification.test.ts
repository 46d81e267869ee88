import { describe, expect, it } from 'vitest';

import type { DeliveryReport, ParsedDeliveryReport } from '../../providers/delivery.js';

import {
  parseTwilioStatusCallback,
  twilioDeliveryCodes,
} from '../../providers/twilio/status-callback.js';
import {
  parseVonageDeliveryReceipt,
  vonageDeliveryCodes,
} from '../../providers/vonage/delivery-receipt.js';
import { twilioStatusFields, vonageReceiptFields } from '../helpers/delivery.js';
import { twilioSid } from '../helpers/provider-wire.js';

/** Returns the report of `parsed`, and fails the test when `parsed` has no report. */
function reportOf(parsed: ParsedDeliveryReport): DeliveryReport {
  if (parsed.kind !== 'report') {
    throw new Error(`expected a report, got ${parsed.kind}`);
  }
  return parsed.report;
}

// Each row of a table is read back through the provider's own webhook fields, so a row whose
// code the parser drops or misreads fails here.

describe('Twilio delivery error codes', () => {
  it.each(twilioDeliveryCodes)('classifies $code as $failureClass', (row) => {
    const parsed = parseTwilioStatusCallback(
      twilioStatusFields(twilioSid(1), 'undelivered', row.code),
    );

    expect(reportOf(parsed).failureClass).toBe(row.failureClass);
    expect(reportOf(parsed).providerCode).toBe(row.code);
    expect(row.source).toMatch(/^https:\/\//);
  });

  it('classifies an unknown code as unknown_failure', () => {
    const parsed = parseTwilioStatusCallback(twilioStatusFields(twilioSid(1), 'failed', '39999'));

    expect(reportOf(parsed).failureClass).toBe('unknown_failure');
  });

  it('classifies a failure without ErrorCode as unknown_failure', () => {
    const parsed = parseTwilioStatusCallback(twilioStatusFields(twilioSid(1), 'undelivered'));

    expect(reportOf(parsed).failureClass).toBe('unknown_failure');
    expect(reportOf(parsed).providerCode).toBeNull();
  });

  it('gives delivered no failure class', () => {
    const parsed = parseTwilioStatusCallback(twilioStatusFields(twilioSid(1), 'delivered', '0'));

    expect(reportOf(parsed).failureClass).toBeNull();
    expect(reportOf(parsed).providerCode).toBeNull();
  });
});

describe('Twilio status words', () => {
  it.each([
    ['accepted', 'queued'],
    ['scheduled', 'queued'],
    ['queued', 'queued'],
    ['sending', 'queued'],
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'delivered'],
    ['undelivered', 'undelivered'],
    ['failed', 'failed'],
    ['canceled', 'failed'],
  ])('maps %s to %s', (word, status) => {
    const parsed = parseTwilioStatusCallback(twilioStatusFields(twilioSid(1), word));

    expect(reportOf(parsed).status).toBe(status);
  });

  it.each(['receiving', 'received', 'partially_delivered'])('ignores %s', (word) => {
    expect(parseTwilioStatusCallback(twilioStatusFields(twilioSid(1), word)).kind).toBe('ignored');
  });
});

describe('Vonage delivery error codes', () => {
  it.each(vonageDeliveryCodes)('classifies err-code $code as $failureClass', (row) => {
    const parsed = parseVonageDeliveryReceipt(vonageReceiptFields('0C0001', 'failed', row.code));

    expect(reportOf(parsed).failureClass).toBe(row.failureClass);
    expect(reportOf(parsed).providerCode).toBe(row.code);
    expect(row.source).toMatch(/^https:\/\//);
  });

  it('classifies an undocumented err-code as unknown_failure', () => {
    const parsed = parseVonageDeliveryReceipt(vonageReceiptFields('0C0001', 'rejected', '99'));

    expect(reportOf(parsed).failureClass).toBe('unknown_failure');
  });

  it('drops err-code 0 from a failure', () => {
    const parsed = parseVonageDeliveryReceipt(vonageReceiptFields('0C0001', 'expired', '0'));

    expect(reportOf(parsed).providerCode).toBeNull();
    expect(reportOf(parsed).failureClass).toBe('unknown_failure');
  });
});

describe('Vonage receipt statuses', () => {
  it.each([
    ['accepted', 'sent'],
    ['buffered', 'sent'],
    ['delivered', 'delivered'],
    ['expired', 'undelivered'],
    ['failed', 'undelivered'],
    ['rejected', 'failed'],
  ])('maps %s to %s', (word, status) => {
    const parsed = parseVonageDeliveryReceipt(vonageReceiptFields('0C0001', word));

    expect(reportOf(parsed).status).toBe(status);
  });

  it('ignores unknown', () => {
    expect(parseVonageDeliveryReceipt(vonageReceiptFields('0C0001', 'unknown')).kind).toBe(
      'ignored',
    );
  });

  it('reads message-id when messageId is missing', () => {
    const { messageId, ...rest } = vonageReceiptFields('0C0002', 'delivered');

    const parsed = parseVonageDeliveryReceipt({ ...rest, 'message-id': messageId ?? '' });

    expect(reportOf(parsed).providerMessageId).toBe('0C0002');
  });
});
