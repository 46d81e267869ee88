import http from 'node:http';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/gateway.js';
import type { FakeProvider } from '../helpers/provider-fakes.js';
import {
  startTwilioFake,
  startVonageFake,
  twilioCreated,
  twilioSid,
} from '../helpers/provider-wire.js';
import { RELAY_API_KEY, relayToml, startRelay, type Relay } from '../helpers/relay.js';

const message = JSON.stringify({ to: '+15005550006', body: 'db-1 down' });

let twilio: FakeProvider;
let vonage: FakeProvider;
let relay: Relay;
let running: RunningServer | undefined;

afterEach(async () => {
  await running?.shutdown();
  running = undefined;
  await relay.close();
  await twilio.close();
  await vonage.close();
});

/** Posts the message with `key` and destroys the socket once `abandonWhen` resolves. */
function postAndHangUp(url: string, key: string, abandonWhen: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const request = http.request(`${url}/v1/messages`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${RELAY_API_KEY}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': key,
      },
    });
    request.on('error', () => resolve());
    request.on('close', () => resolve());
    request.end(message);
    void abandonWhen.then(() => request.destroy());
  });
}

describe('client that hangs up', () => {
  it('gets the same message on retry', async () => {
    twilio = await startTwilioFake((request) => ({
      ...twilioCreated(request, twilioSid(1)),
      delayMs: 200,
    }));
    vonage = await startVonageFake();
    const port = await freePort();
    relay = startRelay(relayToml({ twilioUrl: twilio.url, vonageUrl: vonage.url }), {
      env: { PORT: String(port) },
    });
    running = await startServer(relay.gateway, relay.logger);

    await postAndHangUp(running.url, 'retry-key-1', twilio.arrivals(1));
    await vi.waitFor(() => expect(relay.gateway.dispatcher.inFlight).toBe(0), { timeout: 5000 });
    const retry = await fetch(`${running.url}/v1/messages`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${RELAY_API_KEY}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': 'retry-key-1',
      },
      body: message,
    });
    const body = (await retry.json()) as { id: string; provider_message_id: string };
    const list = (await (await relay.get('/v1/messages')).json()) as {
      messages: { id: string }[];
    };

    expect(retry.status).toBe(200);
    expect(retry.headers.get('Idempotent-Replayed')).toBe('true');
    expect(body.provider_message_id).toBe(twilioSid(1));
    expect(list.messages.map((entry) => entry.id)).toEqual([body.id]);
    expect(twilio.requests).toHaveLength(1);
  });
});
