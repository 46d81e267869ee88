import { afterEach, describe, expect, it } from 'vitest';

import { createTestGateway, SECOND_API_KEY, type TestGateway } from '../../helpers/gateway.js';
import {
  basicAuth,
  createMessage,
  getTwilio,
  messagesUri,
  SECOND_ACCOUNT_SID,
  SENDER,
  twilioApiToml,
  type TwilioErrorBody,
} from '../../helpers/twilio-api.js';

interface ListPage {
  readonly messages: ReadonlyArray<Record<string, unknown>>;
  readonly uri: string;
  readonly first_page_uri: string;
  readonly next_page_uri: string | null;
  readonly previous_page_uri: string | null;
  readonly page: number;
  readonly page_size: number;
  readonly start: number;
  readonly end: number;
}

let current: TestGateway | undefined;

afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function startWithMessages(count: number): Promise<TestGateway> {
  current = createTestGateway(twilioApiToml());
  for (let index = 0; index < count; index += 1) {
    await createMessage(current, { To: '+14155550100', From: SENDER, Body: `message ${index}` });
  }
  return current;
}

async function pageOf(relay: TestGateway, path: string): Promise<ListPage> {
  const response = await getTwilio(relay, path);
  expect(response.status).toBe(200);
  return (await response.json()) as ListPage;
}

describe('GET Messages.json', () => {
  it('returns the first page with paging fields', async () => {
    const relay = await startWithMessages(3);
    const page = await pageOf(relay, `${messagesUri()}?PageSize=2`);

    expect(page.messages).toHaveLength(2);
    expect(page.page).toBe(0);
    expect(page.page_size).toBe(2);
    expect(page.start).toBe(0);
    expect(page.end).toBe(1);
    expect(page.uri).toBe(`${messagesUri()}?PageSize=2&Page=0`);
    expect(page.first_page_uri).toBe(`${messagesUri()}?PageSize=2&Page=0`);
    expect(page.previous_page_uri).toBeNull();
    expect(page.next_page_uri).toMatch(
      /^\/2010-04-01\/.*Messages\.json\?PageSize=2&Page=1&PageToken=/,
    );
  });

  it('follows next_page_uri to the last page', async () => {
    const relay = await startWithMessages(3);
    const first = await pageOf(relay, `${messagesUri()}?PageSize=2`);
    const second = await pageOf(relay, first.next_page_uri ?? '');
    const bodies = [...first.messages, ...second.messages].map((message) => message['body']);

    expect(second.messages).toHaveLength(1);
    expect(second.page).toBe(1);
    expect(second.start).toBe(2);
    expect(second.end).toBe(2);
    expect(second.next_page_uri).toBeNull();
    expect(bodies.sort()).toEqual(['message 0', 'message 1', 'message 2']);
  });

  it('returns 50 messages a page by default', async () => {
    const relay = await startWithMessages(1);
    const page = await pageOf(relay, messagesUri());
    expect(page.page_size).toBe(50);
  });

  it('clamps PageSize to 200', async () => {
    const relay = await startWithMessages(1);
    const page = await pageOf(relay, `${messagesUri()}?PageSize=1000`);
    expect(page.page_size).toBe(200);
  });

  it('returns an empty page with start and end 0', async () => {
    const relay = await startWithMessages(0);
    const page = await pageOf(relay, messagesUri());

    expect(page.messages).toEqual([]);
    expect(page.start).toBe(0);
    expect(page.end).toBe(0);
    expect(page.next_page_uri).toBeNull();
  });

  it('lists only the messages of the API key', async () => {
    const relay = await startWithMessages(2);
    const response = await relay.app.request(messagesUri(SECOND_ACCOUNT_SID), {
      headers: { Authorization: basicAuth(SECOND_ACCOUNT_SID, SECOND_API_KEY) },
    });
    const page = (await response.json()) as ListPage;
    expect(page.messages).toEqual([]);
  });

  it.each(['To', 'From', 'DateSent', 'DateSent>'])('rejects the %s filter', async (name) => {
    const relay = await startWithMessages(0);
    const query = new URLSearchParams({ [name]: '+14155550100' });
    const response = await getTwilio(relay, `${messagesUri()}?${query.toString()}`);
    const error = (await response.json()) as TwilioErrorBody;

    expect(response.status).toBe(400);
    expect(error.details.errors?.[0]).toMatchObject({ path: name, code: 'unsupported_parameter' });
  });

  it('rejects PageSize 0', async () => {
    const relay = await startWithMessages(0);
    const response = await getTwilio(relay, `${messagesUri()}?PageSize=0`);
    const error = (await response.json()) as TwilioErrorBody;

    expect(response.status).toBe(400);
    expect(error.details.errors?.[0]?.path).toBe('PageSize');
  });

  it('rejects Page without PageToken', async () => {
    const relay = await startWithMessages(3);
    const response = await getTwilio(relay, `${messagesUri()}?Page=3&PageSize=2`);
    const error = (await response.json()) as TwilioErrorBody;

    expect(response.status).toBe(400);
    expect(error.details.errors?.[0]?.path).toBe('Page');
    expect(error.details.errors?.[0]?.code).toBe('missing_page_token');
    expect(error.message).toContain('next_page_uri');
  });

  it('accepts Page 0 without PageToken', async () => {
    const relay = await startWithMessages(3);
    const page = await pageOf(relay, `${messagesUri()}?Page=0&PageSize=2`);

    expect(page.page).toBe(0);
    expect(page.messages).toHaveLength(2);
  });
});
