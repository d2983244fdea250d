import { pino, type Logger } from 'pino';

export type { Logger };

/** Secrets never reach logs: these paths are redacted wherever they appear. */
const REDACT = [
  'secret', 'password', '*.secret', '*.password', '*.*.secret', '*.*.password',
  'config.component.secret', 'registration.password',
];

/** The process's root logger; modules take `log.child({ module })`. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } }, destination ?? process.stderr);
}
