import { afterEach, describe, expect, it } from 'vitest';

import type { FakeProvider } from '../helpers/provider-fakes.js';
import {
  startTwilioFake,
  startVonageFake,
  twilioAccount,
  twilioCreated,
  twilioError,
  twilioForm,
  twilioSid,
} from '../helpers/provider-wire.js';
import { relayToml, startRelay, type Relay } from '../helpers/relay.js';

const OPTED_OUT = '+15005550004';
const OTHER_SENDER = '+15005550001';
const ADMIN_TOKEN = 'opt-out-admin-token-0001';

let twilio: FakeProvider;
let vonage: FakeProvider;
let relay: Relay;

afterEach(async () => {
  await relay.close();
  await twilio.close();
  await vonage.close();
});

/** Starts a relay whose Twilio answers 21610 for the opted-out number from the account sender. */
async function start(): Promise<void> {
  twilio = await startTwilioFake((request, index) => {
    const form = twilioForm(request);
    return form.get('To') === OPTED_OUT && form.get('From') === twilioAccount.from
      ? twilioError(400, 21610)
      : twilioCreated(request, twilioSid(index));
  });
  vonage = await startVonageFake();
  const toml = `${relayToml({ twilioUrl: twilio.url, vonageUrl: vonage.url })}
[[admin_tokens]]
name = "ops"
token = "${ADMIN_TOKEN}"
`;
  relay = startRelay(toml);
}

async function codeOf(response: Response): Promise<string | undefined> {
  return ((await response.json()) as { code?: string }).code;
}

function admin(path: string, method = 'GET'): Promise<Response> {
  return Promise.resolve(
    relay.app.request(path, { method, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }),
  );
}

describe('opt-outs', () => {
  it('refuses the pair without a provider call', async () => {
    await start();
    const first = await relay.send({ to: OPTED_OUT, body: 'db-1 down' });

    const second = await relay.send({ to: OPTED_OUT, body: 'db-1 still down' });

    expect(first.status).toBe(422);
    expect(second.status).toBe(422);
    expect(await codeOf(second)).toBe('recipient_opted_out');
    expect(twilio.requests).toHaveLength(1);
    expect(vonage.requests).toHaveLength(0);
  });

  it('lets another sender through', async () => {
    await start();
    await relay.send({ to: OPTED_OUT, body: 'db-1 down' });

    const other = await relay.send({ to: OPTED_OUT, body: 'db-1 down', from: OTHER_SENDER });

    expect(other.status).toBe(200);
    expect(twilio.requests).toHaveLength(2);
  });

  it('lists the recorded pair', async () => {
    await start();
    await relay.send({ to: OPTED_OUT, body: 'db-1 down' });

    const response = await admin(`/admin/opt-outs?recipient=${encodeURIComponent(OPTED_OUT)}`);
    const body = (await response.json()) as {
      opt_outs: { sender: string; recipient: string; provider: string }[];
    };

    expect(response.status).toBe(200);
    expect(body.opt_outs).toEqual([
      expect.objectContaining({
        sender: twilioAccount.from,
        recipient: OPTED_OUT,
        provider: 'twilio-main',
      }),
    ]);
  });

  it('sends again once an operator clears it', async () => {
    await start();
    await relay.send({ to: OPTED_OUT, body: 'db-1 down' });
    const path = `/admin/opt-outs/${encodeURIComponent(twilioAccount.from)}/${encodeURIComponent(OPTED_OUT)}`;

    const cleared = await admin(path, 'DELETE');
    await relay.send({ to: OPTED_OUT, body: 'db-1 down' });

    expect(cleared.status).toBe(204);
    expect(twilio.requests).toHaveLength(2);
  });

  it('answers 404 to an unknown pair', async () => {
    await start();

    const response = await admin(
      `/admin/opt-outs/${encodeURIComponent(OTHER_SENDER)}/${encodeURIComponent(OPTED_OUT)}`,
      'DELETE',
    );

    expect(response.status).toBe(404);
  });

  it('needs the admin token', async () => {
    await start();

    const response = await relay.get('/admin/opt-outs');

    expect(response.status).toBe(401);
  });
});
