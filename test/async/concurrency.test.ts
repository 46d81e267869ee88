import { afterEach, describe, expect, it, vi } from 'vitest';

import type { FakeProvider } from '../helpers/provider-fakes.js';
import { delay } from '../helpers/provider-fakes.js';
import {
  startTwilioFake,
  startVonageFake,
  twilioCreated,
  twilioSid,
} from '../helpers/provider-wire.js';
import { relayToml, startRelay, type Relay } from '../helpers/relay.js';

let twilio: FakeProvider;
let vonage: FakeProvider;
let relay: Relay;

afterEach(async () => {
  await relay.close();
  await twilio.close();
  await vonage.close();
});

describe('queue sender', () => {
  it('sends at most concurrency messages at once', async () => {
    let open = 0;
    let peak = 0;
    twilio = await startTwilioFake(async (request, index) => {
      open += 1;
      peak = Math.max(peak, open);
      await delay(30);
      open -= 1;
      return twilioCreated(request, twilioSid(index));
    });
    vonage = await startVonageFake();
    const toml = `${relayToml({ twilioUrl: twilio.url, vonageUrl: vonage.url })}
[queue]
concurrency = 3
poll_interval_ms = 10
`;
    relay = startRelay(toml);
    await relay.gateway.queue.start(() => undefined);

    for (let index = 0; index < 10; index += 1) {
      const response = await relay.send({ to: '+15005550006', body: `m${index}`, mode: 'async' });
      expect(response.status).toBe(202);
    }
    await vi.waitFor(() => expect(twilio.requests).toHaveLength(10), { timeout: 5000 });
    await vi.waitFor(() => expect(relay.gateway.queue.inFlight).toBe(0));

    expect(peak).toBe(3);
  });
});
