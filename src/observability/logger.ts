import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Creates the application logger: JSON lines on stdout (or `destination`). Authorization headers
 * and fields named like secrets are redacted wherever they appear two levels deep.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'sms-relay' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          '*.headers.authorization',
          'auth_token',
          'api_secret',
          '*.auth_token',
          '*.api_secret',
          'body',
          '*.body',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
