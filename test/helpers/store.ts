import type { NewMessage } from '../../src/store/index.js';

/** Returns a sync message in `sending`, created at 1,000 ms, with `overrides` applied. */
export function storedMessage(overrides: Partial<NewMessage> = {}): NewMessage {
  return {
    id: 'msg-1',
    principal: 'alerting',
    requestId: 'req-1',
    mode: 'sync',
    route: 'default',
    to: '+14155550100',
    body: 'disk full',
    from: undefined,
    reference: undefined,
    encoding: 'GSM-7',
    segments: 1,
    status: 'sending',
    createdAt: 1_000,
    expiresAt: undefined,
    callbackUrl: undefined,
    ...overrides,
  };
}
