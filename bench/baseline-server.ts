import { serve } from '@hono/node-server';
import { Hono } from 'hono';

/**
 * The overhead baseline: a bare Hono app that forwards each message to the fake Twilio API with
 * one `fetch` and returns the provider's message SID. It has no validation, no retry, no breaker
 * and no logging, so the difference to the gateway is what the gateway adds. It runs as its own
 * process, as the gateway does, and exits when the benchmark runner disconnects.
 *
 * Environment: BENCH_PORT (port on 127.0.0.1), BENCH_TARGET (send URL of the fake),
 * BENCH_AUTHORIZATION (Authorization header for the fake), BENCH_FROM (sender).
 */

const port = Number(requireEnv('BENCH_PORT'));
const target = requireEnv('BENCH_TARGET');
const authorization = requireEnv('BENCH_AUTHORIZATION');
const from = requireEnv('BENCH_FROM');

const app = new Hono();
app.get('/health', (c) => c.json({ status: 'ok' }));
app.post('/v1/messages', async (c) => {
  const message = await c.req.json<{ to: string; body: string }>();
  const response = await fetch(target, {
    method: 'POST',
    headers: { Authorization: authorization, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ To: message.to, From: from, Body: message.body }).toString(),
  });
  const created = (await response.json()) as { sid?: string };
  if (!response.ok) {
    return c.json({ status: 'failed', http_status: response.status }, 502);
  }
  return c.json({ status: 'sent', provider_message_id: created.sid });
});

serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () => {
  process.stdout.write(`baseline listening on 127.0.0.1:${port}\n`);
});
process.on('disconnect', () => process.exit(0));
process.once('SIGTERM', () => process.exit(0));

function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set; the benchmark runner sets it`);
  }
  return value;
}
