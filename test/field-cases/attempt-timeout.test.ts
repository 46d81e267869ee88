import { afterEach, describe, expect, it } from 'vitest';

import { closedLoopbackUrl, type FakeProvider } from '../helpers/provider-fakes.js';
import {
  startTwilioFake,
  startVonageFake,
  twilioCreated,
  twilioError,
  vonageAccepted,
} from '../helpers/provider-wire.js';
import {
  messageBody,
  relayToml,
  startRelay,
  TWILIO_ID,
  VONAGE_ID,
  type Relay,
} from '../helpers/relay.js';

// Real sockets need real time, so the case's 5 s attempt timeout and 15 s hold are scaled down to
// 1 s and 3 s. The hold still outlasts the timeout, which is what the case is about.
const ATTEMPT_TIMEOUT_MS = 1000;
const HOLD_MS = 3000;
const LATE_SID = `SM${'e'.repeat(32)}`;
const message = { to: '+15005550006', body: 'db-1 disk full' };

let twilio: FakeProvider | undefined;
let vonage: FakeProvider;
let relay: Relay;

afterEach(async () => {
  await relay.close();
  await twilio?.close();
  twilio = undefined;
  await vonage.close();
});

/** Starts a Twilio fake that reads each request whole and responds only after `HOLD_MS`. */
async function startSlowTwilio(onAmbiguous: 'failover' | 'stop'): Promise<void> {
  twilio = await startTwilioFake((request) => ({
    ...twilioCreated(request, LATE_SID),
    delayMs: HOLD_MS,
  }));
  vonage = await startVonageFake();
  relay = startRelay(
    relayToml({
      twilioUrl: twilio.url,
      vonageUrl: vonage.url,
      twilio: { attempt_timeout_ms: ATTEMPT_TIMEOUT_MS },
      route: { on_ambiguous: onAmbiguous },
    }),
  );
}

describe('attempt timeout after the request was sent', () => {
  it('closes the socket before twilio answers', async () => {
    await startSlowTwilio('failover');
    await relay.send(message);
    await twilio?.clientClosed(0);

    expect(twilio?.closedBeforeReply).toEqual([0]);
    expect(twilio?.openConnections()).toBe(0);
  });

  it('marks the attempt ambiguous and does not retry it', async () => {
    await startSlowTwilio('failover');
    const body = await messageBody(await relay.send(message));

    expect(body.attempts?.[0]?.provider).toBe(TWILIO_ID);
    expect(body.attempts?.[0]?.outcome).toBe('ambiguous');
    expect(twilio?.requests).toHaveLength(1);
  });

  it('fails over and flags a possible duplicate', async () => {
    await startSlowTwilio('failover');
    const response = await relay.send(message);
    const body = await messageBody(response);

    expect(response.status).toBe(200);
    expect(body.provider).toBe(VONAGE_ID);
    expect(body.possible_duplicate).toBe(true);
    expect(vonage.requests).toHaveLength(1);
  });

  it('answers 502 outcome_unknown when the route stops', async () => {
    await startSlowTwilio('stop');
    const response = await relay.send(message);
    const body = await messageBody(response);

    expect(response.status).toBe(502);
    expect(body.code).toBe('outcome_unknown');
    expect(body.attempts?.map((a) => a.outcome)).toEqual(['ambiguous']);
    expect(vonage.requests).toHaveLength(0);
    await twilio?.clientClosed(0);
    expect(twilio?.openConnections()).toBe(0);
  });
});

describe('attempt timeout at the secondary provider', () => {
  it('closes the vonage socket, which has no AbortSignal, at the timeout', async () => {
    twilio = await startTwilioFake(() => twilioError(503, 20503));
    vonage = await startVonageFake((request) => ({
      ...vonageAccepted(request, '0C0000000000LATE'),
      delayMs: HOLD_MS,
    }));
    relay = startRelay(
      relayToml({
        twilioUrl: twilio.url,
        vonageUrl: vonage.url,
        twilio: { retry: { max_attempts: 1 } },
        vonage: { attempt_timeout_ms: ATTEMPT_TIMEOUT_MS },
      }),
    );
    const response = await relay.send(message);
    const body = await messageBody(response);
    await vonage.clientClosed(0);

    expect(response.status).toBe(502);
    expect(body.attempts?.map((a) => a.outcome)).toEqual(['transient', 'ambiguous']);
    expect(vonage.closedBeforeReply).toEqual([0]);
    expect(vonage.openConnections()).toBe(0);
  });
});

describe('connection refused before anything was sent', () => {
  async function startRefusingTwilio(): Promise<void> {
    vonage = await startVonageFake();
    relay = startRelay(
      relayToml({
        twilioUrl: await closedLoopbackUrl(),
        vonageUrl: vonage.url,
        twilio: { retry: { max_attempts: 3 } },
      }),
    );
  }

  it('retries twilio, then sends one SMS via vonage', async () => {
    await startRefusingTwilio();
    const response = await relay.send(message);
    const body = await messageBody(response);

    expect(response.status).toBe(200);
    expect(body.provider).toBe(VONAGE_ID);
    expect(body.attempts?.map((a) => a.outcome)).toEqual([
      'transient',
      'transient',
      'transient',
      'sent',
    ]);
    expect(vonage.requests).toHaveLength(1);
  });

  it('does not flag a possible duplicate', async () => {
    await startRefusingTwilio();
    const body = await messageBody(await relay.send(message));

    expect(body.possible_duplicate).toBe(false);
  });
});
