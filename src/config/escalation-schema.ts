import { z } from 'zod';

import { hostSchema } from './host.js';
import { durationMs } from './resilience-schema.js';

/** The escalation channels; each has a table under `[escalation]`. */
export const escalationChannels = ['error_log', 'email', 'webhook'] as const;

export type EscalationChannelName = (typeof escalationChannels)[number];

/** Placeholders that the email subject template may contain. */
export const subjectPlaceholders = ['reason', 'message_id', 'route', 'provider'] as const;

/** Control characters, which a header value or a template must never contain. */
const controlCharacters = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A list of channel names without repeats, as in a route's `escalate` and `alerts.channels`. */
export const channelListSchema = z.array(z.enum(escalationChannels)).superRefine((list, ctx) => {
  list.forEach((channel, index) => {
    if (list.indexOf(channel) !== index) {
      ctx.addIssue({ code: 'custom', path: [index], message: 'must not repeat a channel' });
    }
  });
});

/** Retry keys that the email and webhook channels share, with their defaults. */
const deliveryRetryShape = {
  max_attempts: z.int().min(1).default(5),
  initial_backoff_ms: durationMs().default(1000),
  max_backoff_ms: durationMs().default(60_000),
};

function checkBackoff(
  retry: { initial_backoff_ms: number; max_backoff_ms: number },
  ctx: z.core.$RefinementCtx<unknown>,
): void {
  if (retry.max_backoff_ms < retry.initial_backoff_ms) {
    ctx.addIssue({
      code: 'custom',
      path: ['max_backoff_ms'],
      message: `must be at least initial_backoff_ms (${retry.initial_backoff_ms})`,
    });
  }
}

const errorLogSchema = z
  .strictObject({
    // Relative to data_dir, as written; the escalation code resolves it.
    path: z.string().min(1).default('escalations.jsonl'),
    include_full_recipient: z.boolean().default(false),
  })
  .prefault({});

// The HTML5 pattern accepts a host without a dot, as in oncall@localhost on an internal relay.
const emailAddressSchema = z.email({
  pattern: z.regexes.html5Email,
  error: 'must be an email address, such as "ops@example.com"',
});

/** Returns true for `addr@example.com` or `Display Name <addr@example.com>`. */
function isMailbox(value: string): boolean {
  if (controlCharacters.test(value)) {
    return false;
  }
  const match = /^[^<>"]*<([^<>\s]+)>$/.exec(value.trim());
  return emailAddressSchema.safeParse(match ? match[1] : value).success;
}

const subjectSchema = z
  .string()
  .min(1)
  .max(200)
  .superRefine((template, ctx) => {
    if (controlCharacters.test(template)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must not contain line breaks or control characters',
      });
      return;
    }
    const known: readonly string[] = subjectPlaceholders;
    for (const [placeholder, name] of template.matchAll(/\{([^{}]*)\}/g)) {
      if (!known.includes(name ?? '')) {
        const list = subjectPlaceholders.map((key) => `{${key}}`).join(', ');
        ctx.addIssue({
          code: 'custom',
          message: `must use only the placeholders ${list}, but contains ${placeholder}`,
        });
      }
    }
  });

/** Ports whose protocol fixes the TLS mode: 465 is implicit TLS, 587 and 25 are STARTTLS. */
const implicitTlsPort = 465;
const startTlsPorts = new Set([25, 587]);

/** Keys that `url` replaces. */
const urlKeys = ['host', 'port', 'secure', 'username', 'password'] as const;

const emailTableSchema = z.strictObject({
  url: z.string().optional(),
  host: hostSchema().optional(),
  port: z.int().min(1).max(65_535).optional(),
  secure: z.boolean().optional(),
  require_tls: z.boolean().default(false),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  from: z
    .string()
    .refine(
      isMailbox,
      'must be an email address, optionally with a display name, as in "sms-relay <relay@example.com>"',
    ),
  to: z.array(emailAddressSchema).min(1),
  subject: subjectSchema.default('[sms-relay] {reason}'),
  connection_timeout_ms: durationMs().default(5000),
  greeting_timeout_ms: durationMs().default(5000),
  socket_timeout_ms: durationMs().default(10_000),
  ...deliveryRetryShape,
  include_full_recipient: z.boolean().default(false),
});

type EmailTable = z.output<typeof emailTableSchema>;

/** The SMTP server an email table names, from `url` or from the separate keys. */
interface SmtpServer {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly username: string | undefined;
  readonly password: string | undefined;
}

/** Parses an `smtp://` or `smtps://` URL; returns a rule the URL breaks as a string. */
function parseSmtpUrl(text: string): SmtpServer | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be a URL such as "smtp://mail.example.com:587"';
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    return 'must use the smtp: (STARTTLS) or smtps: (implicit TLS) scheme';
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    return 'must not have a path, query or fragment; set require_tls and timeouts as keys';
  }
  if (url.hostname === '') {
    return 'must name a host';
  }

  const secure = url.protocol === 'smtps:';
  const defaultPort = secure ? implicitTlsPort : 587;
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? defaultPort : Number(url.port),
    secure,
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
  };
}

/**
 * Returns the SMTP server of a table without `url`, inferring `secure` and `port` from each other.
 */
function serverFromKeys(table: EmailTable): SmtpServer {
  const secure = table.secure ?? table.port === implicitTlsPort;
  return {
    host: table.host ?? '',
    port: table.port ?? (secure ? implicitTlsPort : 587),
    secure,
    username: table.username,
    password: table.password,
  };
}

/**
 * Checks that an email table names its server once (`url`, or `host` with the other keys) and
 * that port and TLS mode agree. Port 465 speaks TLS from the first byte, while ports 587 and 25
 * start in plain text and upgrade with STARTTLS. The wrong pairing would only fail at the first
 * escalation.
 */
function checkEmailServer(table: EmailTable, ctx: z.core.$RefinementCtx<EmailTable>): void {
  if (table.url !== undefined) {
    for (const key of urlKeys) {
      if (table[key] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'must not be set together with url; put it in the URL or remove url',
        });
      }
    }
    const server = parseSmtpUrl(table.url);
    if (typeof server === 'string') {
      ctx.addIssue({ code: 'custom', path: ['url'], message: server });
      return;
    }
    if (server.secure && startTlsPorts.has(server.port)) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: `must use smtp:// with port ${server.port}, which expects STARTTLS (smtps:// is implicit TLS, for port 465)`,
      });
    } else if (!server.secure && server.port === implicitTlsPort) {
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'must use smtps:// with port 465, which expects implicit TLS',
      });
    }
    return;
  }

  if (table.host === undefined) {
    ctx.addIssue({ code: 'custom', path: ['host'], message: 'is required unless url is set' });
  }
  if (table.port === implicitTlsPort && table.secure === false) {
    ctx.addIssue({
      code: 'custom',
      path: ['secure'],
      message:
        'must be true with port = 465, which expects implicit TLS (or use port = 587 with STARTTLS)',
    });
  } else if (table.port !== undefined && startTlsPorts.has(table.port) && table.secure === true) {
    ctx.addIssue({
      code: 'custom',
      path: ['secure'],
      message: `must be false with port = ${table.port}, which expects STARTTLS (set require_tls = true to insist on it, or use port = 465)`,
    });
  }
  if ((table.username === undefined) !== (table.password === undefined)) {
    const missing = table.username === undefined ? 'username' : 'password';
    ctx.addIssue({
      code: 'custom',
      path: [missing],
      message: `is required when ${missing === 'username' ? 'password' : 'username'} is set`,
    });
  }
}

/** Builds the email settings the channel uses: one server description, retries grouped. */
function buildEmail(table: EmailTable) {
  const parsed = table.url === undefined ? serverFromKeys(table) : parseSmtpUrl(table.url);
  // checkEmailServer ran first and rejected a URL that does not parse.
  const server = parsed as SmtpServer;
  return {
    host: server.host,
    port: server.port,
    secure: server.secure,
    require_tls: table.require_tls,
    auth:
      server.username === undefined
        ? undefined
        : { user: server.username, pass: server.password ?? '' },
    from: table.from,
    to: table.to,
    subject: table.subject,
    connection_timeout_ms: table.connection_timeout_ms,
    greeting_timeout_ms: table.greeting_timeout_ms,
    socket_timeout_ms: table.socket_timeout_ms,
    retry: {
      max_attempts: table.max_attempts,
      initial_backoff_ms: table.initial_backoff_ms,
      max_backoff_ms: table.max_backoff_ms,
    },
    include_full_recipient: table.include_full_recipient,
  };
}

const emailSchema = emailTableSchema
  .superRefine(checkEmailServer)
  .superRefine(checkBackoff)
  .transform(buildEmail);

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function hasNoCredentials(text: string): boolean {
  try {
    const url = new URL(text);
    return url.username === '' && url.password === '';
  } catch {
    return true;
  }
}

const webhookSchema = z
  .strictObject({
    url: z
      .string()
      .refine(isHttpUrl, 'must be an http:// or https:// URL')
      .refine(
        hasNoCredentials,
        'must not contain a user name or password; the signature authenticates the gateway',
      ),
    secret: z
      .string()
      .min(16, 'must be at least 16 characters long, because it keys the HMAC signature'),
    timeout_ms: durationMs().default(5000),
    ...deliveryRetryShape,
    include_full_recipient: z.boolean().default(false),
  })
  .superRefine(checkBackoff)
  .transform(({ max_attempts, initial_backoff_ms, max_backoff_ms, ...rest }) => ({
    ...rest,
    retry: { max_attempts, initial_backoff_ms, max_backoff_ms },
  }));

const alertsSchema = z
  .strictObject({
    channels: channelListSchema.default(['error_log']),
    repeat_window_ms: durationMs().default(900_000),
  })
  .prefault({});

/** `[escalation]`: the error log, the optional email and webhook channels, operator alerts. */
export const escalationSchema = z
  .strictObject({
    error_log: errorLogSchema,
    email: emailSchema.optional(),
    webhook: webhookSchema.optional(),
    alerts: alertsSchema,
  })
  .prefault({});

export type EscalationSettings = z.output<typeof escalationSchema>;

/** Returns the channels that have a table: `error_log` always, `email` and `webhook` when set. */
export function configuredChannels(
  escalation: Partial<Record<EscalationChannelName, unknown>>,
): EscalationChannelName[] {
  return escalationChannels.filter(
    (channel) => channel === 'error_log' || escalation[channel] !== undefined,
  );
}

/**
 * Checks that every channel in `list` has its table under `[escalation]`. Adds issues at
 * `path` plus the index in the list.
 */
export function checkChannelsConfigured(
  list: readonly EscalationChannelName[],
  configured: readonly EscalationChannelName[],
  path: readonly PropertyKey[],
  ctx: z.core.$RefinementCtx<unknown>,
): void {
  list.forEach((channel, index) => {
    if (!configured.includes(channel)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, index],
        message: `must be a configured channel; add an [escalation.${channel}] table or remove it`,
      });
    }
  });
}
