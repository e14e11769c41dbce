import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs with secrets redacted wherever they appear: tokens in headers, the
 * WebSocket's `access_token` query parameter, passwords in bodies.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        '*.password',
        '*.newPassword',
        '*.refreshToken',
        '*.accessToken',
      ],
      censor: '[redacted]',
    },
  };
  // Standard output unless told otherwise (tests read what would be logged).
  return destination ? pino(options, destination) : pino(options);
}
