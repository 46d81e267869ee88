import { readFileSync } from 'node:fs';

import { afterEach, describe, expect, it } from 'vitest';

import { delay, type FakeProvider } from '../helpers/provider-fakes.js';
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
  type Relay,
  type RelayTomlOptions,
} from '../helpers/relay.js';

// Real sockets need real time, so the open duration is 1 s where a production breaker waits
// minutes. Each test waits for the half-open transition instead of sleeping a fixed time.
const OPEN_MS = 1000;
const to = '+15005550006';

let twilio: FakeProvider;
let vonage: FakeProvider;
let relay: Relay | undefined;

afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await twilio.close();
  await vonage.close();
});

async function start(options: Omit<RelayTomlOptions, 'twilioUrl' | 'vonageUrl'>): Promise<Relay> {
  twilio = await startTwilioFake();
  vonage = await startVonageFake();
  relay = startRelay(relayToml({ ...options, twilioUrl: twilio.url, vonageUrl: vonage.url }));
  return relay;
}

const unavailable = () => twilioError(503, 20503);
const created = (request: Parameters<typeof twilioCreated>[0], index: number) =>
  twilioCreated(request, twilioSid(index));

async function sendAll(target: Relay, count: number) {
  const responses = await Promise.all(
    Array.from({ length: count }, () => target.send({ to, body: 'db-1 disk full' })),
  );
  return Promise.all(
    responses.map(async (response) => ({ response, body: await messageBody(response) })),
  );
}

/** Opens Twilio's breaker with one message whose attempts all get 503, delivered via Vonage. */
async function openTwilioBreaker(target: Relay): Promise<void> {
  twilio.respond = unavailable;
  const response = await target.send({ to, body: 'db-1 disk full' });
  expect((await messageBody(response)).provider).toBe(VONAGE_ID);
  expect(target.breakerState(TWILIO_ID)).toBe('open');
}

describe('breaker tripped by simultaneous failures', () => {
  const tuning = {
    // Each message tries Twilio once, so the six failures are exactly the six concurrent calls.
    retry: { max_attempts: 1 },
    breaker: {
      policy: 'rate',
      volume_threshold: 5,
      error_threshold_percentage: 50,
      open_duration_ms: OPEN_MS,
      success_threshold: 2,
    },
  };

  it('delivers every message of the burst via vonage', async () => {
    const target = await start({ twilio: tuning });
    // Twilio delays every response until all six requests have arrived, then 100 ms more.
    twilio.respond = async () => {
      await twilio.arrivals(6);
      return { ...unavailable(), delayMs: 100 } as const;
    };
    const results = await sendAll(target, 6);

    expect(results.map(({ response }) => response.status)).toEqual(Array(6).fill(200));
    expect(results.map(({ body }) => body.provider)).toEqual(Array(6).fill(VONAGE_ID));
    expect(twilio.requests).toHaveLength(6);
    expect(vonage.requests).toHaveLength(6);
  });

  it('opens once and half-opens after the open duration', async () => {
    const target = await start({ twilio: tuning });
    twilio.respond = async () => {
      await twilio.arrivals(6);
      return { ...unavailable(), delayMs: 100 } as const;
    };
    await sendAll(target, 6);
    const opened = target.transitions.filter((t) => t.provider === TWILIO_ID && t.to === 'open');
    const halfOpen = await target.nextTransition(TWILIO_ID, 'half_open', 2 * OPEN_MS);

    expect(opened).toHaveLength(1);
    expect(halfOpen.at - (opened[0]?.at ?? 0)).toBeGreaterThanOrEqual(OPEN_MS - 5);
  });

  it('closes after success_threshold trial calls succeed', async () => {
    const target = await start({ twilio: tuning });
    twilio.respond = async () => {
      await twilio.arrivals(6);
      return { ...unavailable(), delayMs: 100 } as const;
    };
    await sendAll(target, 6);
    await target.nextTransition(TWILIO_ID, 'half_open', 2 * OPEN_MS);
    twilio.respond = created;

    const trial = await messageBody(await target.send({ to, body: 'trial one' }));
    expect(trial.provider).toBe(TWILIO_ID);
    expect(twilio.requests).toHaveLength(7);
    expect(target.breakerState(TWILIO_ID)).toBe('half_open');

    const second = await messageBody(await target.send({ to, body: 'trial two' }));
    expect(second.provider).toBe(TWILIO_ID);
    expect(target.breakerState(TWILIO_ID)).toBe('closed');

    const later = await messageBody(await target.send({ to, body: 'after recovery' }));
    expect(later.provider).toBe(TWILIO_ID);
    expect(vonage.requests).toHaveLength(6);
  });

  it('runs on the opossum version pinned in package.json', () => {
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const installed = JSON.parse(readFileSync('node_modules/opossum/package.json', 'utf8')) as {
      version: string;
    };

    expect(manifest.dependencies['opossum']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed.version).toBe(manifest.dependencies['opossum']);
  });
});

describe('half-open breaker under a burst', () => {
  const tuning = { breaker: { failure_threshold: 3, open_duration_ms: OPEN_MS } };

  it('lets one trial call through and sends the rest via vonage', async () => {
    const target = await start({ twilio: tuning });
    await openTwilioBreaker(target);
    await target.nextTransition(TWILIO_ID, 'half_open', 2 * OPEN_MS);
    const before = twilio.requests.length;
    const vonageBefore = vonage.requests.length;
    // The trial fails; any further call would succeed, so a leak past the trial would show.
    twilio.respond = (request, index) =>
      index === before ? unavailable() : created(request, index);
    const results = await sendAll(target, 20);

    expect(twilio.requests.length - before).toBe(1);
    expect(results.map(({ body }) => body.provider)).toEqual(Array(20).fill(VONAGE_ID));
    expect(vonage.requests.length - vonageBefore).toBe(20);
    expect(target.breakerState(TWILIO_ID)).toBe('open');
  });

  it('lets one more trial through after the next open duration', async () => {
    const target = await start({ twilio: tuning });
    await openTwilioBreaker(target);
    await target.nextTransition(TWILIO_ID, 'half_open', 2 * OPEN_MS);
    const before = twilio.requests.length;
    twilio.respond = (request, index) =>
      index === before ? unavailable() : created(request, index);
    await sendAll(target, 20);
    await target.nextTransition(TWILIO_ID, 'half_open', 2 * OPEN_MS);
    // The second trial succeeds after 200 ms, so the rest of the burst arrives while it runs.
    twilio.respond = (request, index) => ({ ...created(request, index), delayMs: 200 });
    const results = await sendAll(target, 5);

    expect(twilio.requests.length - before).toBe(2);
    expect(results.filter(({ body }) => body.provider === TWILIO_ID)).toHaveLength(1);
    expect(results.filter(({ body }) => body.provider === VONAGE_ID)).toHaveLength(4);
  });
});

describe('half-open breaker with several trial calls', () => {
  it('admits half_open_max_calls trials under a burst', async () => {
    const target = await start({
      twilio: { breaker: { open_duration_ms: OPEN_MS, half_open_max_calls: 2 } },
    });
    await openTwilioBreaker(target);
    await target.nextTransition(TWILIO_ID, 'half_open', 2 * OPEN_MS);
    const before = twilio.requests.length;
    // The trials succeed after 200 ms, so the rest of the burst arrives while they run.
    twilio.respond = (request, index) => ({ ...created(request, index), delayMs: 200 });
    const results = await sendAll(target, 10);

    expect(twilio.requests.length - before).toBe(2);
    expect(results.filter(({ body }) => body.provider === TWILIO_ID)).toHaveLength(2);
    expect(results.filter(({ body }) => body.provider === VONAGE_ID)).toHaveLength(8);
    expect(target.breakerState(TWILIO_ID)).toBe('closed');
  });
});

describe('half-open breaker whose trial is rejected', () => {
  const invalidTo = '+15005550001';
  const rejectInvalidTo = (request: Parameters<typeof twilioCreated>[0], index: number) =>
    new URLSearchParams(request.body).get('To') === invalidTo
      ? twilioError(400, 21211)
      : created(request, index);

  async function halfOpenWith(tuning: RelayTomlOptions['twilio']): Promise<Relay> {
    const target = await start({ twilio: tuning });
    await openTwilioBreaker(target);
    await target.nextTransition(TWILIO_ID, 'half_open', 2 * OPEN_MS);
    twilio.respond = rejectInvalidTo;
    return target;
  }

  it('returns 422 and does not fail over', async () => {
    const target = await halfOpenWith({ breaker: { open_duration_ms: OPEN_MS } });
    const vonageBefore = vonage.requests.length;
    const response = await target.send({ to: invalidTo, body: 'db-1 disk full' });
    const body = await messageBody(response);

    expect(response.status).toBe(422);
    expect(body.code).toBe('invalid_recipient');
    expect(body.attempts?.map((a) => a.provider)).toEqual([TWILIO_ID]);
    expect(vonage.requests.length).toBe(vonageBefore);
  });

  it('closes at once when one success is enough', async () => {
    const target = await halfOpenWith({
      breaker: { open_duration_ms: OPEN_MS, success_threshold: 1 },
    });
    await target.send({ to: invalidTo, body: 'db-1 disk full' });

    expect(target.breakerState(TWILIO_ID)).toBe('closed');
  });

  it('frees the trial slot for the next valid send', async () => {
    const target = await halfOpenWith({
      breaker: { open_duration_ms: OPEN_MS, success_threshold: 2 },
    });
    await target.send({ to: invalidTo, body: 'db-1 disk full' });
    const response = await target.send({ to, body: 'db-1 disk full' });

    expect((await messageBody(response)).provider).toBe(TWILIO_ID);
    expect(target.breakerState(TWILIO_ID)).toBe('closed');
  });

  it('closes under the rate policy with fewer calls than volume_threshold', async () => {
    const target = await halfOpenWith({
      retry: { max_attempts: 5 },
      breaker: {
        policy: 'rate',
        volume_threshold: 5,
        error_threshold_percentage: 50,
        open_duration_ms: OPEN_MS,
        success_threshold: 2,
      },
    });
    await target.send({ to: invalidTo, body: 'db-1 disk full' });
    const response = await target.send({ to, body: 'db-1 disk full' });

    expect((await messageBody(response)).provider).toBe(TWILIO_ID);
    expect(target.breakerState(TWILIO_ID)).toBe('closed');
  });

  it('re-opens under the rate policy when the trial fails below volume_threshold', async () => {
    const target = await halfOpenWith({
      retry: { max_attempts: 5 },
      breaker: {
        policy: 'rate',
        volume_threshold: 5,
        error_threshold_percentage: 50,
        open_duration_ms: OPEN_MS,
      },
    });
    twilio.respond = unavailable;
    const response = await target.send({ to, body: 'db-1 disk full' });

    expect((await messageBody(response)).provider).toBe(VONAGE_ID);
    expect(target.breakerState(TWILIO_ID)).toBe('open');
  });
});
