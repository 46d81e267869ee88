import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { FakeProvider, ReceivedRequest } from '../helpers/provider-fakes.js';
import {
  startTwilioFake,
  startVonageFake,
  twilioCreated,
  twilioError,
  twilioSid,
  vonageAccepted,
  vonageFailed,
} from '../helpers/provider-wire.js';
import {
  messageBody,
  relayToml,
  startRelay,
  TWILIO_ID,
  VONAGE_ID,
  type MessageResponseBody,
  type Relay,
  type RelayTomlOptions,
} from '../helpers/relay.js';

// libuv timers count whole milliseconds from the loop's cached clock, so a wait can end up to a
// few milliseconds before the same span measured with performance.now().
const TIMER_SLACK_MS = 10;
const message = { to: '+15005550006', body: 'db-1 disk full' };

let twilio: FakeProvider;
let vonage: FakeProvider;
let relay: Relay;

async function stop(): Promise<void> {
  await relay.close();
  await twilio.close();
  await vonage.close();
}

async function start(options: Omit<RelayTomlOptions, 'twilioUrl' | 'vonageUrl'>, random = 0) {
  relay = startRelay(relayToml({ ...options, twilioUrl: twilio.url, vonageUrl: vonage.url }), {
    random: () => random,
  });
}

function gapMs(requests: readonly ReceivedRequest[], index: number): number {
  return (requests[index]?.arrivedAt ?? NaN) - (requests[index - 1]?.arrivedAt ?? NaN);
}

describe('twilio 429 with and without Retry-After', () => {
  // The case's retry policy: 4 attempts, 500 ms base backoff with jitter. A failure threshold of
  // 2 would open the breaker if the two 429s counted as failures.
  const twilioTuning = {
    retry: { max_attempts: 4, initial_backoff_ms: 500 },
    breaker: { failure_threshold: 2 },
  };

  describe('followed by a 201', () => {
    // One message takes 2.5 s of real waits, so the tests below share it.
    let body: MessageResponseBody;

    beforeAll(async () => {
      twilio = await startTwilioFake((request, index) => {
        if (index === 0) {
          return twilioError(429, 20429, { 'Retry-After': '2' });
        }
        return index === 1 ? twilioError(429, 20429) : twilioCreated(request, twilioSid(index));
      });
      vonage = await startVonageFake();
      await start({ twilio: twilioTuning }, 0.5);
      body = await messageBody(await relay.send(message));
    });

    afterAll(stop);

    it('sends one SMS in three twilio calls and none via vonage', () => {
      expect(body.provider).toBe(TWILIO_ID);
      expect(body.attempts?.map((a) => a.outcome)).toEqual(['throttled', 'throttled', 'sent']);
      expect(twilio.requests).toHaveLength(3);
      expect(vonage.requests).toHaveLength(0);
    });

    it('waits the Retry-After before the second call', () => {
      expect(relay.retries[0]?.delay_ms).toBe(2000);
      expect(gapMs(twilio.requests, 1)).toBeGreaterThanOrEqual(2000 - TIMER_SLACK_MS);
    });

    it('waits a jittered exponential backoff before the third call', () => {
      // The second retry's ceiling is 500 ms × 2; the injected random 0.5 takes half of it.
      expect(relay.retries[1]?.delay_ms).toBe(500);
      expect(gapMs(twilio.requests, 2)).toBeGreaterThanOrEqual(500 - TIMER_SLACK_MS);
    });

    it('sets a cool-down instead of counting breaker failures', () => {
      const snapshot = relay.gateway.slots.get(TWILIO_ID)?.breaker.snapshot();

      expect(relay.cooldowns.map((c) => c.delay_ms)).toEqual([2000, 500]);
      expect(snapshot?.state).toBe('closed');
      expect(snapshot?.consecutive_failures).toBe(0);
      expect(relay.transitions).toEqual([]);
    });
  });

  describe('on every call', () => {
    afterEach(stop);

    it('makes no more HTTP calls than max_attempts', async () => {
      twilio = await startTwilioFake(() => twilioError(429, 20429));
      vonage = await startVonageFake();
      await start({ twilio: twilioTuning });
      const body = await messageBody(await relay.send(message));

      expect(twilio.requests).toHaveLength(4);
      expect(body.provider).toBe(VONAGE_ID);
    });

    it('fails over at once when Retry-After outlasts the budget', async () => {
      twilio = await startTwilioFake(() => twilioError(429, 20429, { 'Retry-After': '30' }));
      vonage = await startVonageFake();
      await start({ twilio: twilioTuning });
      const body = await messageBody(await relay.send(message));

      expect(body.attempts?.map((a) => a.outcome)).toEqual(['throttled', 'sent']);
      expect(body.provider).toBe(VONAGE_ID);
      expect(twilio.requests).toHaveLength(1);
      expect(relay.retries).toEqual([]);
    });

    it('cools twilio down after a 429 on its last attempt', async () => {
      twilio = await startTwilioFake(() => twilioError(429, 20429, { 'Retry-After': '30' }));
      vonage = await startVonageFake();
      await start({ twilio: { retry: { max_attempts: 1 } } });
      await relay.send(message);
      const next = await messageBody(await relay.send(message));

      expect(relay.cooldowns.map((c) => c.delay_ms)).toEqual([30_000]);
      expect(next.attempts?.map((a) => a.provider)).toEqual([VONAGE_ID]);
      expect(twilio.requests).toHaveLength(1);
    });
  });
});

describe('vonage HTTP 200 with a throttled status', () => {
  afterEach(stop);

  const waitText = 'Throughput Rate Exceeded - please wait [ 950 ] and retry';

  async function startWithTwilioOpen(respond: Parameters<typeof startVonageFake>[0]) {
    twilio = await startTwilioFake();
    vonage = await startVonageFake(respond);
    await start({});
    relay.gateway.slots.get(TWILIO_ID)?.breaker.forceOpen('opened by the test');
  }

  async function startThrottledOnce(): Promise<void> {
    await startWithTwilioOpen((request, index) =>
      index === 0 ? vonageFailed('1', waitText) : vonageAccepted(request, '0B00000000000001'),
    );
  }

  it('retries the throttled answer and sends with the vonage message-id', async () => {
    await startThrottledOnce();
    const response = await relay.send(message);
    const body = await messageBody(response);

    expect(response.status).toBe(200);
    expect(body.provider).toBe(VONAGE_ID);
    expect(body.provider_message_id).toBe('0B00000000000001');
    expect(twilio.requests).toHaveLength(0);
  });

  it('records the first answer as throttled, not sent', async () => {
    await startThrottledOnce();
    const body = await messageBody(await relay.send(message));
    const [first] = body.attempts ?? [];

    expect(first?.outcome).toBe('throttled');
    expect(first?.http_status).toBe(200);
    expect(first?.provider_code).toBe('1');
  });

  it('waits the time the error-text names before retrying', async () => {
    await startThrottledOnce();
    await relay.send(message);

    expect(relay.retries[0]?.delay_ms).toBe(950);
    expect(gapMs(vonage.requests, 1)).toBeGreaterThanOrEqual(950 - TIMER_SLACK_MS);
  });

  const permanent: ReadonlyArray<[string, string, string]> = [
    ['2', 'Missing to param', 'message_rejected'],
    ['3', 'Invalid to address', 'invalid_recipient'],
  ];

  it.each(permanent)('does not retry status %s (%s)', async (status, text, code) => {
    await startWithTwilioOpen(() => vonageFailed(status, text));
    const response = await relay.send(message);
    const body = await messageBody(response);

    expect(response.status).toBe(422);
    expect(body.code).toBe(code);
    expect(vonage.requests).toHaveLength(1);
  });
});
