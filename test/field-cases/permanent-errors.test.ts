import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  guardNetwork,
  interceptTwilio,
  interceptVonage,
  releaseNetwork,
  resetInterceptors,
  twilioErrorReply,
  unmatchedRequests,
  vonageAcceptedReply,
} from '../helpers/nock-providers.js';
import {
  messageBody,
  relayToml,
  startRelay,
  TWILIO_ID,
  VONAGE_ID,
  type Relay,
} from '../helpers/relay.js';

// Both providers keep their default base URLs, which nock intercepts.
let relay: Relay;

beforeAll(guardNetwork);
afterAll(releaseNetwork);
afterEach(async () => {
  await relay.close();
  resetInterceptors();
});

function start(): Relay {
  relay = startRelay(relayToml());
  return relay;
}

function configFaultLines(): Record<string, unknown>[] {
  return relay.logLines().filter((line) => line['msg'] === 'provider configuration fault');
}

describe('twilio sender not capable of the destination', () => {
  function setUp() {
    const twilioForms = interceptTwilio(() => twilioErrorReply(400, 21606));
    const vonageBodies = interceptVonage((json) => vonageAcceptedReply(json, '0C00000000021606'));
    return { twilioForms, vonageBodies, relay: start() };
  }

  it('tries twilio once and sends once via vonage', async () => {
    const { twilioForms, vonageBodies } = setUp();
    const response = await relay.send({ to: '+15005550006', body: 'db-1 disk full' });
    const body = await messageBody(response);

    expect(response.status).toBe(200);
    expect(body.provider).toBe(VONAGE_ID);
    expect(body.attempts?.map((a) => a.outcome)).toEqual(['provider', 'sent']);
    expect(twilioForms).toHaveLength(1);
    expect(vonageBodies).toHaveLength(1);
  });

  it('logs one operator alert across messages', async () => {
    const { twilioForms } = setUp();
    await relay.send({ to: '+15005550006', body: 'db-1 disk full' });
    await relay.send({ to: '+15005550006', body: 'db-2 disk full' });
    const [alert] = configFaultLines();

    expect(configFaultLines()).toHaveLength(1);
    expect(alert?.['provider']).toBe(TWILIO_ID);
    expect(alert?.['provider_code']).toBe('21606');
    expect(twilioForms).toHaveLength(1);
  });

  it('opens the twilio breaker at once', async () => {
    setUp();
    await relay.send({ to: '+15005550006', body: 'db-1 disk full' });

    expect(relay.breakerState(TWILIO_ID)).toBe('open');
  });

  it('leaves nothing in flight', async () => {
    setUp();
    await relay.send({ to: '+15005550006', body: 'db-1 disk full' });

    expect(relay.gateway.dispatcher.inFlight).toBe(0);
    expect(relay.retries).toEqual([]);
  });
});

describe('twilio rejecting an invalid recipient', () => {
  function setUp() {
    const twilioForms = interceptTwilio(() => twilioErrorReply(400, 21211));
    const vonageBodies = interceptVonage((json) => vonageAcceptedReply(json, '0C00000000021211'));
    return { twilioForms, vonageBodies, relay: start() };
  }

  it('answers 422 invalid_recipient after one twilio attempt', async () => {
    const { twilioForms, vonageBodies } = setUp();
    const response = await relay.send({ to: '+15005550001', body: 'db-1 disk full' });
    const body = await messageBody(response);

    expect(response.status).toBe(422);
    expect(body.code).toBe('invalid_recipient');
    expect(twilioForms).toHaveLength(1);
    expect(vonageBodies).toHaveLength(0);
  });

  it('leaves nothing in flight and the breaker closed', async () => {
    setUp();
    await relay.send({ to: '+15005550001', body: 'db-1 disk full' });

    expect(relay.gateway.dispatcher.inFlight).toBe(0);
    expect(relay.retries).toEqual([]);
    expect(relay.breakerState(TWILIO_ID)).toBe('closed');
  });
});

describe('recipient opted out at twilio', () => {
  const optedOut = '+15005550004';
  const sender = '+15005550006';

  function setUp() {
    const twilioForms = interceptTwilio(() => twilioErrorReply(400, 21610));
    const vonageBodies = interceptVonage((json) => vonageAcceptedReply(json, '0C00000000021610'));
    return { twilioForms, vonageBodies, relay: start() };
  }

  it('answers 422 recipient_opted_out', async () => {
    setUp();
    const response = await relay.send({ to: optedOut, from: sender, body: 'db-1 disk full' });
    const body = await messageBody(response);

    expect(response.status).toBe(422);
    expect(body.code).toBe('recipient_opted_out');
  });

  it('neither retries nor fails over', async () => {
    const { twilioForms, vonageBodies } = setUp();
    await relay.send({ to: optedOut, from: sender, body: 'db-1 disk full' });

    expect(twilioForms).toHaveLength(1);
    expect(twilioForms[0]?.get('To')).toBe(optedOut);
    expect(twilioForms[0]?.get('From')).toBe(sender);
    expect(vonageBodies).toHaveLength(0);
    expect(unmatchedRequests).toEqual([]);
  });

  it('leaves the breaker and escalation untouched', async () => {
    setUp();
    const response = await relay.send({ to: optedOut, from: sender, body: 'db-1 disk full' });
    const body = (await response.json()) as Record<string, unknown>;
    const snapshot = relay.gateway.slots.get(TWILIO_ID)?.breaker.snapshot();
    await relay.gateway.escalator.flush();

    expect(snapshot?.state).toBe('closed');
    expect(snapshot?.consecutive_failures).toBe(0);
    expect(relay.transitions).toEqual([]);
    expect(body['escalated_to']).toBeUndefined();
    expect(existsSync(join(relay.dataDir, 'escalations.jsonl'))).toBe(false);
  });
});
