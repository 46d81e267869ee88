import { describe, expect, it } from 'vitest';

import {
  ConfigError,
  configWarnings,
  loadConfig,
  parseConfig,
  type Config,
  type ConfigIssue,
} from '../../src/config/index.js';

const base = `
[[api_keys]]
name = "default"
key = "test-key-0123"

[[providers]]
id = "sim-a"
type = "simulator"

[routes.default]
providers = ["sim-a"]
`;

const mailboxes = 'from = "sms-relay <relay@example.com>"\nto = ["ops@example.com"]';
const webhookTable =
  '[escalation.webhook]\nurl = "https://hooks.example.com/sms"\nsecret = "${HOOK_SECRET}"';
const env = { HOOK_SECRET: 'webhook-secret-0123456789' };

function parse(extra: string, variables: Record<string, string> = env): Config {
  return parseConfig(`${base}\n${extra}`, variables, 'test.toml');
}

function issuesOf(extra: string, variables: Record<string, string> = env): readonly ConfigIssue[] {
  try {
    parse(extra, variables);
  } catch (error) {
    if (error instanceof ConfigError) {
      return error.issues;
    }
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function messagesOf(extra: string): string[] {
  return issuesOf(extra).map((issue) => `${issue.path} ${issue.message}`);
}

describe('escalation defaults', () => {
  it('escalates to the error log only', () => {
    const config = parse('');
    expect(config.routes['default']?.escalate).toEqual(['error_log']);
    expect(config.escalation.email).toBeUndefined();
    expect(config.escalation.webhook).toBeUndefined();
  });

  it('alerts through the error log every 15 minutes', () => {
    const config = parse('');
    expect(config.escalation.alerts.channels).toEqual(['error_log']);
    expect(config.escalation.alerts.repeat_window_ms).toBe(900_000);
  });

  it('fills in the email defaults', () => {
    const email = parse(`[escalation.email]\nhost = "mail.example.com"\n${mailboxes}`).escalation
      .email;
    expect(email).toEqual({
      host: 'mail.example.com',
      port: 587,
      secure: false,
      require_tls: false,
      auth: undefined,
      from: 'sms-relay <relay@example.com>',
      to: ['ops@example.com'],
      subject: '[sms-relay] {reason}',
      connection_timeout_ms: 5000,
      greeting_timeout_ms: 5000,
      socket_timeout_ms: 10_000,
      retry: { max_attempts: 5, initial_backoff_ms: 1000, max_backoff_ms: 60_000 },
      include_full_recipient: false,
    });
  });

  it('fills in the webhook defaults', () => {
    const webhook = parse(webhookTable).escalation.webhook;
    expect(webhook).toEqual({
      url: 'https://hooks.example.com/sms',
      secret: env.HOOK_SECRET,
      timeout_ms: 5000,
      retry: { max_attempts: 5, initial_backoff_ms: 1000, max_backoff_ms: 60_000 },
      include_full_recipient: false,
    });
  });
});

describe('email server', () => {
  it('reads the server from an smtps URL', () => {
    const text = `[escalation.email]\nurl = "smtps://relay%40example.com:p%40ss@mail.example.com"\n${mailboxes}`;
    const email = parse(text).escalation.email;
    expect(email?.host).toBe('mail.example.com');
    expect(email?.port).toBe(465);
    expect(email?.secure).toBe(true);
    expect(email?.auth).toEqual({ user: 'relay@example.com', pass: 'p@ss' });
  });

  it('reads the port of an smtp URL', () => {
    const email = parse(`[escalation.email]\nurl = "smtp://127.0.0.1:2525"\n${mailboxes}`)
      .escalation.email;
    expect(email?.port).toBe(2525);
    expect(email?.secure).toBe(false);
  });

  it('reads the port and TLS mode from the environment', () => {
    const text = `[escalation.email]\nhost = "mail.example.com"\nport = "\${SMTP_PORT}"\nsecure = "\${SMTP_SECURE}"\n${mailboxes}`;
    const email = parse(text, { SMTP_PORT: '2465', SMTP_SECURE: 'yes' }).escalation.email;
    expect(email?.port).toBe(2465);
    expect(email?.secure).toBe(true);
  });

  it('infers implicit TLS from port 465', () => {
    const text = `[escalation.email]\nhost = "mail.example.com"\nport = 465\n${mailboxes}`;
    expect(parse(text).escalation.email?.secure).toBe(true);
  });

  it('infers port 465 from secure', () => {
    const text = `[escalation.email]\nhost = "mail.example.com"\nsecure = true\n${mailboxes}`;
    expect(parse(text).escalation.email?.port).toBe(465);
  });

  it('rejects port 465 without TLS', () => {
    const text = `[escalation.email]\nhost = "mail.example.com"\nport = 465\nsecure = false\n${mailboxes}`;
    expect(messagesOf(text)).toEqual([
      'escalation.email.secure must be true with port = 465, which expects implicit TLS ' +
        '(or use port = 587 with STARTTLS), got false',
    ]);
  });

  it.each([587, 25])('rejects implicit TLS on port %i', (port) => {
    const text = `[escalation.email]\nhost = "mail.example.com"\nport = ${port}\nsecure = true\n${mailboxes}`;
    expect(messagesOf(text)).toEqual([
      `escalation.email.secure must be false with port = ${port}, which expects STARTTLS ` +
        '(set require_tls = true to insist on it, or use port = 465), got true',
    ]);
  });

  it('rejects an smtps URL on port 587', () => {
    const text = `[escalation.email]\nurl = "smtps://mail.example.com:587"\n${mailboxes}`;
    const [issue] = issuesOf(text);
    expect(issue?.path).toBe('escalation.email.url');
    expect(issue?.message).toMatch(/^must use smtp:\/\/ with port 587/);
  });

  it('rejects an smtp URL on port 465', () => {
    const text = `[escalation.email]\nurl = "smtp://mail.example.com:465"\n${mailboxes}`;
    const [issue] = issuesOf(text);
    expect(issue?.path).toBe('escalation.email.url');
    expect(issue?.message).toMatch(/^must use smtps:\/\/ with port 465/);
  });

  it('rejects another URL scheme', () => {
    const [issue] = issuesOf(`[escalation.email]\nurl = "http://mail.example.com"\n${mailboxes}`);
    expect(issue?.message).toMatch(/^must use the smtp: \(STARTTLS\) or smtps:/);
  });

  it('masks the password of a URL in messages', () => {
    const text = `[escalation.email]\nurl = "smtps://relay:hunter2@mail.example.com:25"\n${mailboxes}`;
    const [issue] = issuesOf(text);
    expect(issue?.message).toContain('smtps://relay:***@mail.example.com:25');
    expect(issue?.message).not.toContain('hunter2');
  });

  it('rejects url together with host', () => {
    const text = `[escalation.email]\nurl = "smtp://a.example.com"\nhost = "b.example.com"\n${mailboxes}`;
    expect(issuesOf(text).map((issue) => issue.path)).toEqual(['escalation.email.host']);
  });

  it('requires a host without url', () => {
    expect(messagesOf(`[escalation.email]\n${mailboxes}`)).toEqual([
      'escalation.email.host is required unless url is set',
    ]);
  });

  it('requires a password with a username', () => {
    const text = `[escalation.email]\nhost = "mail.example.com"\nusername = "relay"\n${mailboxes}`;
    expect(messagesOf(text)).toEqual([
      'escalation.email.password is required when username is set',
    ]);
  });
});

describe('email message', () => {
  it('rejects an unknown subject placeholder', () => {
    const text = `[escalation.email]\nhost = "mail.example.com"\n${mailboxes}\nsubject = "{reason} {body}"`;
    const [issue] = issuesOf(text);
    expect(issue?.path).toBe('escalation.email.subject');
    expect(issue?.message).toMatch(/but contains \{body\}/);
  });

  it('rejects a line break in the subject', () => {
    const text = `[escalation.email]\nhost = "mail.example.com"\n${mailboxes}\nsubject = "a\\r\\nBcc: x@example.com"`;
    const [issue] = issuesOf(text);
    expect(issue?.message).toMatch(/^must not contain line breaks/);
  });

  it('rejects a sender with a line break', () => {
    const text = `[escalation.email]\nhost = "mail.example.com"\nfrom = "a@example.com\\nBcc: x@example.com"\nto = ["ops@example.com"]`;
    expect(issuesOf(text).map((issue) => issue.path)).toEqual(['escalation.email.from']);
  });

  it('rejects an invalid recipient address', () => {
    const text = `[escalation.email]\nhost = "mail.example.com"\nfrom = "a@example.com"\nto = ["ops"]`;
    expect(issuesOf(text).map((issue) => issue.path)).toEqual(['escalation.email.to[0]']);
  });

  it('orders the email backoff', () => {
    const text = `[escalation.email]\nhost = "mail.example.com"\n${mailboxes}\ninitial_backoff_ms = 5000\nmax_backoff_ms = 1000`;
    expect(messagesOf(text)).toEqual([
      'escalation.email.max_backoff_ms must be at least initial_backoff_ms (5000), got 1000',
    ]);
  });
});

describe('webhook', () => {
  it('requires an http or https URL', () => {
    const text = '[escalation.webhook]\nurl = "ftp://hooks.example.com"\nsecret = "${HOOK_SECRET}"';
    expect(issuesOf(text).map((issue) => issue.path)).toEqual(['escalation.webhook.url']);
  });

  it('rejects credentials in the URL without showing them', () => {
    const text =
      '[escalation.webhook]\nurl = "https://user:hunter22@hooks.example.com"\nsecret = "${HOOK_SECRET}"';
    const [issue] = issuesOf(text);

    expect(issue?.path).toBe('escalation.webhook.url');
    expect(issue?.message).toMatch(/must not contain a user name or password/);
    expect(issue?.message).not.toContain('hunter22');
  });

  it('rejects a short secret without showing it', () => {
    const text = '[escalation.webhook]\nurl = "https://hooks.example.com"\nsecret = "short"';
    const [issue] = issuesOf(text);
    expect(issue?.path).toBe('escalation.webhook.secret');
    expect(issue?.message).toMatch(/got \*\*\*$/);
  });

  it('warns about plain HTTP to another host', () => {
    const text =
      '[escalation.webhook]\nurl = "http://hooks.example.com"\nsecret = "${HOOK_SECRET}"';
    const codes = configWarnings(parse(text)).map((warning) => warning.code);
    expect(codes).toContain('webhook_plain_http');
  });

  it('accepts plain HTTP on loopback', () => {
    const text = '[escalation.webhook]\nurl = "http://127.0.0.1:9000"\nsecret = "${HOOK_SECRET}"';
    const codes = configWarnings(parse(text)).map((warning) => warning.code);
    expect(codes).not.toContain('webhook_plain_http');
  });
});

describe('channel names', () => {
  it('lets a route name configured channels', () => {
    const text = base.replace(
      'providers = ["sim-a"]',
      'providers = ["sim-a"]\nescalate = ["webhook", "error_log"]',
    );
    const config = parseConfig(`${text}\n${webhookTable}`, env, 'test.toml');
    expect(config.routes['default']?.escalate).toEqual(['webhook', 'error_log']);
  });

  it('rejects a route channel without its table', () => {
    const text = base.replace(
      'providers = ["sim-a"]',
      'providers = ["sim-a"]\nescalate = ["email"]',
    );
    expect(() => parseConfig(text, env, 'test.toml')).toThrow(
      'routes.default.escalate[0] must be a configured channel; ' +
        'add an [escalation.email] table or remove it, got "email"',
    );
  });

  it('rejects an alert channel without its table', () => {
    expect(messagesOf('[escalation.alerts]\nchannels = ["webhook"]')).toEqual([
      'escalation.alerts.channels[0] must be a configured channel; ' +
        'add an [escalation.webhook] table or remove it, got "webhook"',
    ]);
  });

  it('rejects an unknown channel name', () => {
    const [issue] = issuesOf('[escalation.alerts]\nchannels = ["emial"]');
    expect(issue?.path).toBe('escalation.alerts.channels[0]');
    expect(issue?.message).toContain('did you mean "email"?');
  });

  it('rejects a repeated alert channel', () => {
    const [issue] = issuesOf('[escalation.alerts]\nchannels = ["error_log", "error_log"]');
    expect(issue?.path).toBe('escalation.alerts.channels[1]');
  });
});

describe('config/escalation-demo.toml', () => {
  const config = loadConfig({ path: 'config/escalation-demo.toml', env: {}, argv: [] });

  it('emails a local SMTP catcher', () => {
    expect(config.escalation.email?.host).toBe('127.0.0.1');
    expect(config.escalation.email?.port).toBe(2525);
    expect(config.escalation.email?.secure).toBe(false);
  });

  it('escalates messages and alerts by email', () => {
    expect(config.routes['default']?.escalate).toEqual(['error_log', 'email']);
    expect(config.escalation.alerts.channels).toEqual(['error_log', 'email']);
  });
});
