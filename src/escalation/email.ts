import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';

import type { EmailConfig } from '../config/index.js';
import type { Attempt, AttemptResult, ChannelTransport } from './delivery.js';
import { renderEmail } from './email-content.js';
import type { EscalationEvent } from './types.js';

/**
 * nodemailer error codes that no retry can fix: bad credentials, a TLS mismatch, an invalid
 * address or option. Errors that carry an SMTP reply code are classified by that code instead.
 */
const permanentCodes = new Set(['EAUTH', 'ENOAUTH', 'ETLS', 'EREQUIRETLS', 'ECONFIG', 'EENVELOPE']);

interface SmtpError {
  readonly code?: unknown;
  readonly responseCode?: unknown;
  readonly message?: unknown;
}

/** Describes an SMTP error for logs and `/health`: code, reply code and nodemailer's message. */
export function describeSmtpError(error: unknown): string {
  const { code, responseCode, message } = (error ?? {}) as SmtpError;
  const prefix = [code, responseCode].filter((part) => part !== undefined).join(' ');
  const text = typeof message === 'string' ? message : String(error);
  return prefix === '' ? text : `${prefix}: ${text}`;
}

/**
 * Classifies a failed SMTP exchange. A 4xx reply (such as 452, mailbox over quota) and errors
 * without a reply (connection refused, greeting or socket timeout, connection closed) are
 * retryable. A 5xx reply and a configuration error are not.
 */
export function classifySmtpError(error: unknown): AttemptResult {
  const { code, responseCode } = (error ?? {}) as SmtpError;
  const retryable =
    typeof responseCode === 'number'
      ? responseCode >= 400 && responseCode < 500
      : !permanentCodes.has(String(code));
  return { ok: false, retryable, error: describeSmtpError(error) };
}

/**
 * The email channel: one SMTP connection per attempt (nodemailer, no pool), an event's email
 * rendered once so that every retry sends the same subject, text and Message-ID. A reply of 250
 * to DATA counts as delivered even when the connection drops afterwards, so such a drop never
 * sends the email twice.
 */
export class EmailChannel implements ChannelTransport {
  readonly name = 'email';
  readonly retry: EmailConfig['retry'];
  readonly #transport: Transporter<SMTPTransport.SentMessageInfo, SMTPTransport.Options>;

  constructor(private readonly config: EmailConfig) {
    this.retry = config.retry;
    this.#transport = nodemailer.createTransport({
      host: config.host,
      port: config.port,
      secure: config.secure,
      requireTLS: config.require_tls,
      ...(config.auth === undefined ? {} : { auth: { ...config.auth } }),
      connectionTimeout: config.connection_timeout_ms,
      greetingTimeout: config.greeting_timeout_ms,
      socketTimeout: config.socket_timeout_ms,
      // The email is built from event data only; it never attaches files or fetches URLs.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  }

  prepare(event: EscalationEvent): Attempt {
    const { subject, text } = renderEmail(
      this.config.subject,
      event,
      this.config.include_full_recipient,
    );
    const mail = {
      from: this.config.from,
      to: [...this.config.to],
      subject,
      text,
      messageId: `<${event.event_id}@sms-relay>`,
      headers: {
        'X-SMS-Relay-Event-Id': event.event_id,
        // RFC 3834: an automatic message, so that mail systems send no auto-replies to it.
        'Auto-Submitted': 'auto-generated',
      },
    };
    // Recipients that accepted an earlier attempt are not sent the email again.
    let remaining = [...this.config.to];

    return async () => {
      let info: SMTPTransport.SentMessageInfo;
      try {
        info = await this.#transport.sendMail({
          ...mail,
          envelope: { from: this.config.from, to: remaining },
        });
      } catch (error) {
        return classifySmtpError(error);
      }

      const rejected = info.rejected.map(String);
      if (rejected.length === 0) {
        return { ok: true };
      }
      remaining = remaining.filter((address) => rejected.includes(address));
      return partialFailure(info, rejected.length, this.config.to.length);
    };
  }

  async verify(): Promise<void> {
    try {
      await this.#transport.verify();
    } catch (error) {
      throw new Error(describeSmtpError(error), { cause: error });
    }
  }

  close(): void {
    this.#transport.close();
  }
}

/** Returns the result when the server accepted the email for some recipients only. */
function partialFailure(
  info: SMTPTransport.SentMessageInfo,
  rejectedCount: number,
  total: number,
): AttemptResult {
  const errors = (info as { rejectedErrors?: unknown[] }).rejectedErrors ?? [];
  const results = errors.map(classifySmtpError);
  const first = results[0];
  return {
    ok: false,
    retryable: results.some((result) => !result.ok && result.retryable),
    error: `${rejectedCount} of ${total} recipients rejected${first && !first.ok ? `: ${first.error}` : ''}`,
  };
}
