import { afterEach, describe, expect, it } from 'vitest';

import type { FakeProvider } from '../helpers/provider-fakes.js';
import {
  startTwilioFake,
  startVonageFake,
  twilioCreated,
  twilioError,
  twilioSid,
} from '../helpers/provider-wire.js';
import {
  messageBody,
  relayToml,
  startRelay,
  TWILIO_ID,
  VONAGE_ID,
  type MessageResponseBody,
  type Relay,
} from '../helpers/relay.js';

// Our policy: an attempt admitted before the breaker opened changes no breaker state when it
// ends, so a late success neither closes an open breaker nor shortens its open duration. The
// message it carried is still delivered.
const OPEN_MS = 30_000;
const LATE_SID = twilioSid(99);
const to = '+15005550006';

let twilio: FakeProvider;
let vonage: FakeProvider;
let relay: Relay;

afterEach(async () => {
  await relay.close();
  await twilio.close();
  await vonage.close();
});

interface Burst {
  readonly bodies: MessageResponseBody[];
  /** The response of the message whose Twilio call succeeds late. */
  readonly late: MessageResponseBody | undefined;
}

/**
 * Sends four messages at once. Twilio waits until all four calls have arrived, fails the first
 * three with 503 after 50 ms and accepts the fourth after 500 ms (the case's 2 s, scaled down
 * because real sockets need real time).
 */
async function burstWithLateSuccess(): Promise<Burst> {
  twilio = await startTwilioFake(async (request, index) => {
    await twilio.arrivals(4);
    return index < 3
      ? { ...twilioError(503, 20503), delayMs: 50 }
      : { ...twilioCreated(request, LATE_SID), delayMs: 500 };
  });
  vonage = await startVonageFake();
  relay = startRelay(
    relayToml({
      twilioUrl: twilio.url,
      vonageUrl: vonage.url,
      twilio: {
        retry: { max_attempts: 1 },
        breaker: {
          policy: 'rate',
          volume_threshold: 3,
          error_threshold_percentage: 50,
          open_duration_ms: OPEN_MS,
        },
      },
    }),
  );

  const responses = await Promise.all(
    Array.from({ length: 4 }, (_, index) => relay.send({ to, body: `alert ${index}` })),
  );
  const bodies = await Promise.all(responses.map(messageBody));
  return { bodies, late: bodies.find((body) => body.provider === TWILIO_ID) };
}

describe('late success while the breaker is open', () => {
  it('delivers the message of the late call', async () => {
    const { bodies, late } = await burstWithLateSuccess();

    expect(late?.status).toBe('sent');
    expect(late?.provider_message_id).toBe(LATE_SID);
    expect(bodies.filter((body) => body.provider === VONAGE_ID)).toHaveLength(3);
  });

  it('keeps the breaker open after the late success', async () => {
    await burstWithLateSuccess();
    const twilioTransitions = relay.transitions.filter((t) => t.provider === TWILIO_ID);

    expect(relay.breakerState(TWILIO_ID)).toBe('open');
    expect(twilioTransitions.map((t) => t.to)).toEqual(['open']);
  });

  it('sends the next message via vonage', async () => {
    await burstWithLateSuccess();
    const next = await messageBody(await relay.send({ to, body: 'fifth alert' }));

    expect(next.provider).toBe(VONAGE_ID);
    expect(twilio.requests).toHaveLength(4);
  });

  it('half-opens only after the full open duration', async () => {
    await burstWithLateSuccess();
    const [opened] = relay.transitions.filter((t) => t.to === 'open');
    const snapshot = relay.gateway.slots.get(TWILIO_ID)?.breaker.snapshot();

    expect(snapshot?.open_until).toBe((opened?.at ?? 0) + OPEN_MS);
  });
});

describe('late failure after the breaker half-opened', () => {
  // The breaker opens for 1 s after three fast failures, while a fourth call fails only after
  // 1.5 s, when the breaker is already half-open. That stale failure must not re-open it.
  async function burstWithLateFailure(): Promise<void> {
    twilio = await startTwilioFake(async (_request, index) => {
      await twilio.arrivals(4);
      return { ...twilioError(503, 20503), delayMs: index < 3 ? 50 : 1500 };
    });
    vonage = await startVonageFake();
    relay = startRelay(
      relayToml({
        twilioUrl: twilio.url,
        vonageUrl: vonage.url,
        twilio: {
          retry: { max_attempts: 1 },
          breaker: { failure_threshold: 3, open_duration_ms: 1000 },
        },
      }),
    );
    await Promise.all(
      Array.from({ length: 4 }, (_, index) => relay.send({ to, body: `alert ${index}` })),
    );
  }

  it('stays half-open after the stale failure', async () => {
    await burstWithLateFailure();
    const twilioTransitions = relay.transitions.filter((t) => t.provider === TWILIO_ID);

    expect(twilioTransitions.map((t) => t.to)).toEqual(['open', 'half_open']);
    expect(relay.breakerState(TWILIO_ID)).toBe('half_open');
  });

  it('sends the next message as a trial via twilio', async () => {
    await burstWithLateFailure();
    twilio.respond = (request, index) => twilioCreated(request, twilioSid(index));
    const next = await messageBody(await relay.send({ to, body: 'fifth alert' }));

    expect(next.provider).toBe(TWILIO_ID);
    expect(twilio.requests).toHaveLength(5);
  });
});
