import type { AddressInfo } from 'node:net';

import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/** One email the server accepted. */
export interface ReceivedMail {
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  readonly raw: string;
  readonly parsed: ParsedMail;
}

/** How the server treats the next connections; tests may change it while the server runs. */
export interface SmtpBehaviour {
  /** false: accept the TCP connection but never send the 220 greeting. */
  greet: boolean;
  /** Returns the reply code that rejects a recipient (such as 452), or undefined to accept it. */
  rejectRecipient: (address: string) => number | undefined;
  /** true: reply 250 to the message, then close the connection without waiting for QUIT. */
  dropAfterData: boolean;
  /** Holds the reply to each message until it resolves. */
  holdData: Promise<void>;
}

/** A real SMTP server (the smtp-server package) on 127.0.0.1 that keeps what it receives. */
export interface SmtpCatcher {
  readonly port: number;
  readonly url: string;
  readonly mails: ReceivedMail[];
  readonly behaviour: SmtpBehaviour;
  /** Number of TCP connections accepted so far. */
  readonly connections: () => number;
  /** Number of RCPT TO commands received so far, rejected ones included. */
  readonly recipientCommands: () => number;
  /** Resolves once `count` emails have arrived. */
  waitForMails(count: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** Starts an SMTP server without TLS or authentication on a free loopback port. */
export async function startSmtpCatcher(
  behaviour: Partial<SmtpBehaviour> = {},
): Promise<SmtpCatcher> {
  const current: SmtpBehaviour = {
    greet: true,
    rejectRecipient: () => undefined,
    dropAfterData: false,
    holdData: Promise.resolve(),
    ...behaviour,
  };
  const mails: ReceivedMail[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let connections = 0;
  let recipientCommands = 0;

  const server: SMTPServer = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 100,
    // The greeting would otherwise wait for a reverse DNS lookup of 127.0.0.1.
    disableReverseLookup: true,
    onConnect(_session, callback) {
      if (current.greet) {
        callback();
      }
    },
    onRcptTo(address, _session, callback) {
      recipientCommands += 1;
      const code = current.rejectRecipient(address.address);
      if (code === undefined) {
        callback();
        return;
      }
      callback(Object.assign(new Error('Mailbox over quota'), { responseCode: code }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const envelope = envelopeOf(session);
        await current.holdData;
        callback();
        if (current.dropAfterData) {
          setImmediate(() => dropConnection(server, session.id));
        }
        void simpleParser(raw).then((parsed) => {
          mails.push({ envelope, raw, parsed });
          for (const waiter of waiters.filter((entry) => mails.length >= entry.count)) {
            waiter.resolve();
          }
        });
      });
    },
  });

  server.server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    mails,
    behaviour: current,
    connections: () => connections,
    recipientCommands: () => recipientCommands,
    waitForMails: (count) =>
      mails.length >= count
        ? Promise.resolve(mails)
        : new Promise((resolve) => waiters.push({ count, resolve: () => resolve(mails) })),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function envelopeOf(session: SMTPServerSession): ReceivedMail['envelope'] {
  const from = session.envelope.mailFrom;
  return {
    from: from === false ? '' : from.address,
    to: session.envelope.rcptTo.map((recipient) => recipient.address),
  };
}

/** Closes the server side of one session's connection, as a server that crashes after DATA. */
function dropConnection(server: SMTPServer, sessionId: string): void {
  for (const connection of server.connections) {
    if ((connection as { id?: string }).id === sessionId) {
      (connection as { close(): void }).close();
    }
  }
}
