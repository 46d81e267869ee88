import { afterEach, describe, expect, it } from 'vitest';

import {
  API_KEY,
  createTestGateway,
  gatewayToml,
  SECOND_API_KEY,
  type TestGateway,
} from '../helpers/gateway.js';

const message = { to: '+14155550100', body: 'db-1 disk 97% full', reference: 'ticket-7' };

interface MessageView {
  id: string;
  status: string;
  code: string | null;
  mode: string;
  route: string;
  to: string;
  reference: string | null;
  provider: string | null;
  possible_duplicate: boolean;
  status_history: { status: string; code: string | null }[];
  attempts: { number: number; provider: string; outcome: string | null; ended_at: unknown }[];
}

interface ListView {
  messages: MessageView[];
  next_cursor: string | null;
  code?: string;
  errors?: { path: string; code: string }[];
}

let current: TestGateway | undefined;

function start(toml = gatewayToml()): TestGateway {
  current = createTestGateway(toml);
  return current;
}

afterEach(async () => {
  await current?.close();
  current = undefined;
});

function get(relay: TestGateway, path: string, key = API_KEY): Promise<Response> {
  return Promise.resolve(relay.app.request(path, { headers: { Authorization: `Bearer ${key}` } }));
}

async function sendOk(relay: TestGateway, body: unknown = message): Promise<string> {
  const response = await relay.send(body);
  expect(response.status).toBe(200);
  return ((await response.json()) as { id: string }).id;
}

describe('GET /v1/messages/:id', () => {
  it('returns a sent message with its history', async () => {
    const relay = start();
    const id = await sendOk(relay);

    const response = await get(relay, `/v1/messages/${id}`);
    const view = (await response.json()) as MessageView;

    expect(response.status).toBe(200);
    expect(view.status).toBe('sent');
    expect(view.mode).toBe('sync');
    expect(view.to).toBe('+14155550100');
    expect(view.reference).toBe('ticket-7');
    expect(view.provider).toBe('sim-a');
    expect(view.status_history.map((change) => change.status)).toEqual(['sending', 'sent']);
  });

  it('lists every attempt with its outcome', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    const id = await sendOk(relay);

    const view = (await (await get(relay, `/v1/messages/${id}`)).json()) as MessageView;

    expect(
      view.attempts.map((attempt) => [attempt.number, attempt.provider, attempt.outcome]),
    ).toEqual([
      [1, 'sim-a', 'transient'],
      [2, 'sim-b', 'sent'],
    ]);
    expect(view.attempts.every((attempt) => attempt.ended_at !== null)).toBe(true);
  });

  it('records a failed message with its code', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    relay.simulator('sim-b').simulate({ mode: 'transient' });
    const response = await relay.send(message);
    const { id } = (await response.json()) as { id: string };

    const view = (await (await get(relay, `/v1/messages/${id}`)).json()) as MessageView;

    expect(response.status).toBe(502);
    expect(view.status).toBe('failed');
    expect(view.code).toBe('all_providers_failed');
  });

  it('records a rejected message with its code', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'rejected' });
    const response = await relay.send(message);
    const { id } = (await response.json()) as { id: string };

    const view = (await (await get(relay, `/v1/messages/${id}`)).json()) as MessageView;

    expect(response.status).toBe(422);
    expect(view.status).toBe('rejected');
    expect(view.code).toBe('invalid_recipient');
  });

  it('answers 404 to another API key', async () => {
    const relay = start();
    const id = await sendOk(relay);

    const response = await get(relay, `/v1/messages/${id}`, SECOND_API_KEY);

    expect(response.status).toBe(404);
  });

  it('answers 404 for an unknown id', async () => {
    const relay = start();

    const response = await get(relay, '/v1/messages/no-such-message');

    expect(response.status).toBe(404);
  });
});

describe('GET /v1/messages', () => {
  it('pages through messages newest first', async () => {
    const relay = start();
    const ids: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      ids.push(await sendOk(relay, { ...message, reference: `r-${index}` }));
    }

    const seen: string[] = [];
    let path = '/v1/messages?limit=2';
    for (let page = 0; page < 5; page += 1) {
      const body = (await (await get(relay, path)).json()) as ListView;
      seen.push(...body.messages.map((entry) => entry.id));
      if (body.next_cursor === null) {
        break;
      }
      path = `/v1/messages?limit=2&cursor=${body.next_cursor}`;
    }

    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(seen[0]).toBe(ids.at(-1));
  });

  it('filters by status and route', async () => {
    const relay = start(gatewayToml({ extra: '[routes.backup]\nproviders = ["sim-b"]' }));
    await sendOk(relay);
    const backup = await sendOk(relay, { ...message, route: 'backup' });
    relay.simulator('sim-a').simulate({ mode: 'rejected' });
    const rejected = await relay.send(message);
    const rejectedId = ((await rejected.json()) as { id: string }).id;

    const byRoute = (await (await get(relay, '/v1/messages?route=backup')).json()) as ListView;
    const byStatus = (await (await get(relay, '/v1/messages?status=rejected')).json()) as ListView;

    expect(byRoute.messages.map((entry) => entry.id)).toEqual([backup]);
    expect(byStatus.messages.map((entry) => entry.id)).toEqual([rejectedId]);
  });

  it('filters by creation time', async () => {
    const relay = start();
    await sendOk(relay);

    const future = (await (
      await get(relay, '/v1/messages?since=2999-01-01T00:00:00Z')
    ).json()) as ListView;
    const past = (await (
      await get(relay, '/v1/messages?until=2999-01-01T00:00:00Z')
    ).json()) as ListView;

    expect(future.messages).toHaveLength(0);
    expect(past.messages).toHaveLength(1);
  });

  it('lists only the messages of the API key', async () => {
    const relay = start();
    await sendOk(relay);

    const body = (await (await get(relay, '/v1/messages', SECOND_API_KEY)).json()) as ListView;

    expect(body.messages).toHaveLength(0);
  });

  it('answers 400 naming each invalid parameter', async () => {
    const relay = start();

    const response = await get(relay, '/v1/messages?status=lost&limit=0&since=yesterday&x=1');
    const body = (await response.json()) as ListView;

    expect(response.status).toBe(400);
    expect(body.code).toBe('invalid_request');
    expect(body.errors?.map((error) => error.path).sort()).toEqual([
      'limit',
      'since',
      'status',
      'x',
    ]);
  });

  it('answers 400 to an unknown route', async () => {
    const relay = start();

    const response = await get(relay, '/v1/messages?route=nope');
    const body = (await response.json()) as ListView & { detail: string };

    expect(response.status).toBe(400);
    expect(body.code).toBe('unknown_route');
    expect(body.errors?.[0]?.path).toBe('route');
    expect(body.detail).toContain('"nope"');
  });

  it('answers 400 to since after until', async () => {
    const relay = start();

    const response = await get(
      relay,
      '/v1/messages?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z',
    );
    const body = (await response.json()) as ListView & { detail: string };

    expect(response.status).toBe(400);
    expect(body.code).toBe('invalid_request');
    expect(body.errors?.[0]?.path).toBe('since');
    expect(body.detail).toContain('since');
    expect(body.detail).toContain('until');
  });

  it('accepts since equal to until', async () => {
    const relay = start();

    const response = await get(
      relay,
      '/v1/messages?since=2026-12-01T00:00:00Z&until=2026-12-01T00:00:00Z',
    );

    expect(response.status).toBe(200);
  });

  it('answers 400 to a forged cursor', async () => {
    const relay = start();

    const response = await get(relay, '/v1/messages?cursor=bm90LWEtY3Vyc29y');
    const body = (await response.json()) as ListView;

    expect(response.status).toBe(400);
    expect(body.errors?.[0]?.code).toBe('invalid_cursor');
  });
});
