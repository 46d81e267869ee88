import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { freePort } from '../helpers/gateway.js';
import { delay, startFakeProvider, type FakeProvider } from '../helpers/provider-fakes.js';
import {
  startTwilioFake,
  startVonageFake,
  twilioCreated,
  twilioForm,
  twilioSid,
  vonageAccepted,
  vonageJson,
  vonageMessageId,
} from '../helpers/provider-wire.js';
import { RELAY_API_KEY, relayEnv, relayToml } from '../helpers/relay.js';
import {
  killHard,
  seededRandom,
  startGatewayProcess,
  type GatewayProcess,
} from './gateway-process.js';

const MESSAGES = 300;
const CLIENT_CONCURRENCY = 16;
const authorization = `Bearer ${RELAY_API_KEY}`;

interface Summary {
  id: string;
  status: string;
  possible_duplicate: boolean;
}

interface Detail extends Summary {
  attempts: { outcome: string | null }[];
}

const cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) {
    await step();
  }
});

/** Starts both fake providers; each answers after 5 to 40 ms and records every body it got. */
async function startProviders(random: () => number) {
  const bodies: string[] = [];
  const twilio: FakeProvider = await startTwilioFake(async (request, index) => {
    bodies.push(twilioForm(request).get('Body') ?? '');
    await delay(5 + Math.floor(random() * 35));
    return twilioCreated(request, twilioSid(index));
  });
  const vonage: FakeProvider = await startVonageFake(async (request, index) => {
    bodies.push(String(vonageJson(request)['text']));
    await delay(5 + Math.floor(random() * 35));
    return vonageAccepted(request, vonageMessageId(index));
  });
  cleanup.push(
    () => twilio.close(),
    () => vonage.close(),
  );
  return { twilio, vonage, bodies };
}

/** A status callback as the receiver got it. */
interface Callback {
  event_id: string;
  message_id: string;
  status: string;
}

/** Starts a callback receiver that responds with 200 and keeps every callback body it got. */
async function startCallbackReceiver() {
  const callbacks: Callback[] = [];
  const receiver = await startFakeProvider((request) => {
    callbacks.push(JSON.parse(request.body) as Callback);
    return { status: 200 };
  });
  cleanup.push(() => receiver.close());
  return { url: `${receiver.url}/status`, callbacks };
}

/** Returns the sequence number of a status change from its event id, `<message id>:<seq>`. */
function changeNumber(callback: Callback): number {
  return Number(callback.event_id.split(':').at(-1));
}

/**
 * Sends `MESSAGES` async messages, `CLIENT_CONCURRENCY` at a time, and kills the gateway with
 * SIGKILL after `killAfter` of them got 202. Returns the body of each accepted message by id.
 */
async function sendUntilKilled(
  gateway: GatewayProcess,
  run: number,
  killAfter: number,
  callbackUrl: string,
): Promise<Map<string, string>> {
  const accepted = new Map<string, string>();
  let next = 0;
  let killing: Promise<void> | undefined;

  const worker = async (): Promise<void> => {
    while (next < MESSAGES && killing === undefined) {
      const body = `crash run ${run} message ${next}`;
      next += 1;
      try {
        const response = await fetch(`${gateway.url}/v1/messages`, {
          method: 'POST',
          headers: { Authorization: authorization, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            to: '+15005550006',
            body,
            mode: 'async',
            callback_url: callbackUrl,
          }),
        });
        if (response.status === 202) {
          accepted.set(((await response.json()) as { id: string }).id, body);
        }
      } catch {
        // The connection died with the process; this message got no 202.
      }
      if (accepted.size >= killAfter) {
        killing ??= killHard(gateway);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENT_CONCURRENCY }, worker));
  await (killing ?? killHard(gateway));
  return accepted;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { Authorization: authorization } });
  return (await response.json()) as T;
}

/** Lists every stored message, following the cursor. */
async function listAll(url: string): Promise<Summary[]> {
  const all: Summary[] = [];
  let path = '/v1/messages?limit=200';
  for (;;) {
    const page = await getJson<{ messages: Summary[]; next_cursor: string | null }>(url + path);
    all.push(...page.messages);
    if (page.next_cursor === null) {
      return all;
    }
    path = `/v1/messages?limit=200&cursor=${page.next_cursor}`;
  }
}

describe('crash during async sending', () => {
  it.each([[11], [23], [37]])(
    'loses no accepted message or callback (seed %i)',
    async (seed) => {
      const random = seededRandom(seed);
      const { twilio, vonage, bodies } = await startProviders(random);
      const receiver = await startCallbackReceiver();
      const directory = mkdtempSync(join(tmpdir(), 'sms-relay-crash-'));
      cleanup.push(async () => rmSync(directory, { recursive: true, force: true }));
      const configPath = join(directory, 'gateway.toml');
      const route = { async_retry_initial_backoff_ms: 50, async_retry_max_backoff_ms: 200 };
      writeFileSync(
        configPath,
        `${relayToml({ twilioUrl: twilio.url, vonageUrl: vonage.url, route })}
[queue]
concurrency = 16
poll_interval_ms = 20

[callbacks]
concurrency = 16
poll_interval_ms = 20
`,
      );
      const env = relayEnv({ SMS_RELAY_DATA_DIR: join(directory, 'data') });

      const first = await startGatewayProcess(configPath, {
        ...env,
        PORT: String(await freePort()),
      });
      cleanup.push(() => killHard(first));
      const killAfter = 40 + Math.floor(random() * 200);
      const accepted = await sendUntilKilled(first, seed, killAfter, receiver.url);

      const second = await startGatewayProcess(configPath, {
        ...env,
        PORT: String(await freePort()),
      });
      cleanup.push(() => killHard(second));
      await vi.waitFor(
        async () => {
          const open = (await listAll(second.url)).filter((m) => /queued|sending/.test(m.status));
          expect(open).toHaveLength(0);
        },
        { timeout: 20_000, interval: 100 },
      );
      const stored = new Map((await listAll(second.url)).map((message) => [message.id, message]));
      const sentCallbacks = (): Set<string> =>
        new Set(receiver.callbacks.filter((c) => c.status === 'sent').map((c) => c.message_id));
      await vi.waitFor(
        () => expect([...accepted.keys()].filter((id) => !sentCallbacks().has(id))).toEqual([]),
        { timeout: 20_000, interval: 100 },
      );

      const received = new Map<string, number>();
      for (const body of bodies) {
        received.set(body, (received.get(body) ?? 0) + 1);
      }
      expect(accepted.size).toBeGreaterThanOrEqual(killAfter);
      for (const [id, body] of accepted) {
        expect(stored.get(id)?.status, `status of ${id}`).toBe('sent');
        expect(received.get(body) ?? 0, `deliveries of ${body}`).toBeGreaterThanOrEqual(1);
      }
      for (const [id, body] of accepted) {
        if ((received.get(body) ?? 0) < 2) {
          continue;
        }
        const detail = await getJson<Detail>(`${second.url}/v1/messages/${id}`);
        expect(detail.possible_duplicate, `flag of duplicated ${id}`).toBe(true);
        expect(detail.attempts.map((attempt) => attempt.outcome)).toContain('ambiguous');
      }
      // Delivery is at least once, so a change may arrive twice, but never after a later one.
      const changesByMessage = new Map<string, number[]>();
      for (const callback of receiver.callbacks) {
        const changes = changesByMessage.get(callback.message_id) ?? [];
        changes.push(changeNumber(callback));
        changesByMessage.set(callback.message_id, changes);
      }
      for (const [id, changes] of changesByMessage) {
        const sorted = [...changes].sort((a, b) => a - b);
        expect(changes, `order of callbacks of ${id}`).toEqual(sorted);
      }
    },
    90_000,
  );
});
