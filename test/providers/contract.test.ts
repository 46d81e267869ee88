import { describe, expect, it } from 'vitest';

import { ProviderError } from '../../providers/contract.js';

describe('ProviderError', () => {
  it.each(['21211', '20429', 'rate-limit', 'E429', 'SMS.1'])('keeps code %s', (code) => {
    const error = new ProviderError({ errorClass: 'rejected', message: 'x', providerCode: code });

    expect(error.providerCode).toBe(code);
  });

  it.each([
    ['markup', '<svg onload=alert(1)>'],
    ['a phone number with a plus', '+447700900123'],
    ['a long code', 'C'.repeat(33)],
    ['spaces', 'bad code'],
    ['an empty string', ''],
  ])('drops a code with %s', (_case, code) => {
    const error = new ProviderError({ errorClass: 'rejected', message: 'x', providerCode: code });

    expect(error.providerCode).toBeUndefined();
  });
});
