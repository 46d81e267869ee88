import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { isConfigError, parseConfig } from '../../src/config/index.js';
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
  relayEnv,
  relayToml,
  startRelay,
  TWILIO_ID,
  VONAGE_ID,
  type Relay,
} from '../helpers/relay.js';

// Vonage is switched by an environment variable; both providers keep their default base URLs,
// which nock intercepts, and any other request is recorded as unmatched.
const toml = relayToml({ vonage: { enabled: '"${VONAGE_ENABLED:-true}"' } });
let relay: Relay | undefined;

beforeAll(guardNetwork);
afterAll(releaseNetwork);
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  resetInterceptors();
});

/** Starts the gateway with Twilio failing every call, and sends one message. */
async function sendWithTwilioDown(env: Record<string, string>) {
  const twilioForms = interceptTwilio(() => twilioErrorReply(503, 20503));
  const vonageBodies = interceptVonage((json) => vonageAcceptedReply(json, '0C00000000000016'));
  relay = startRelay(toml, { env });
  const response = await relay.send({ to: '+15005550006', body: 'db-1 disk full' });
  const body = await messageBody(response);
  return { response, body, twilioForms, vonageBodies };
}

describe('provider switched off by an environment boolean', () => {
  it.each(['false', '0', 'False'])('makes no vonage call with VONAGE_ENABLED=%s', async (value) => {
    const { response, body, twilioForms, vonageBodies } = await sendWithTwilioDown({
      VONAGE_ENABLED: value,
    });

    expect(response.status).toBe(502);
    expect(body.code).toBe('all_providers_failed');
    expect(body.escalated_to).toEqual(['error_log']);
    expect(body.attempts?.map((a) => a.provider)).toEqual([TWILIO_ID, TWILIO_ID, TWILIO_ID]);
    expect(twilioForms).toHaveLength(3);
    expect(vonageBodies).toHaveLength(0);
    expect(unmatchedRequests).toEqual([]);
  });

  it.each(['false', '0', 'False'])('leaves vonage out of the gateway for %s', async (value) => {
    await sendWithTwilioDown({ VONAGE_ENABLED: value });

    expect(relay?.gateway.slots.has(VONAGE_ID)).toBe(false);
    expect(relay?.gateway.config.routes['default']?.providers).toEqual([TWILIO_ID]);
  });

  it('fails over to vonage when VONAGE_ENABLED is unset', async () => {
    const { response, body, vonageBodies } = await sendWithTwilioDown({});

    expect(response.status).toBe(200);
    expect(body.provider).toBe(VONAGE_ID);
    expect(vonageBodies).toHaveLength(1);
  });

  it('stops at startup on a misspelled value', () => {
    let thrown: unknown;
    try {
      parseConfig(toml, relayEnv({ VONAGE_ENABLED: 'flase' }), 'field test config');
    } catch (error) {
      thrown = error;
    }
    const issues = isConfigError(thrown) ? thrown.issues : [];

    expect(isConfigError(thrown)).toBe(true);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('providers[1].enabled');
    expect(issues[0]?.message).toContain('VONAGE_ENABLED');
    expect(issues[0]?.message).toContain('true, false, 1, 0, yes or no');
  });
});
