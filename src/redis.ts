/**
 * Redis going away, as an operator reads it. The gateway's connection says once that Redis is
 * unreachable and once that it is back, and retries meanwhile instead of crashing; a Redis that
 * keeps the connection but stops answering (hung, or cut off without a reset) is said too
 * (`watchRedis`), where the connection alone would wait in silence. The connections opened from
 * it (BullMQ's, the outbox reader) fail with it: their connection errors are the same outage and
 * are not logged again (an outage of 8 s logged 136 error lines from the mailbox consumers, and
 * ioredis printed 17 "Unhandled error event" stacks for the outbox reader).
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** A Redis client that reports trouble as log lines and retries, instead of crashing. */
export function connectRedis(url: string, log: Logger, extra: Record<string, unknown> = {}): Redis {
  // BullMQ needs maxRetriesPerRequest null on the connections it blocks on
  const redis = new Redis(url, { maxRetriesPerRequest: null, ...extra });
  let down = false;
  redis.on('error', (err) => {
    if (!down) log.error({ err: err.message }, 'redis unreachable, retrying');
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('redis reachable again');
    down = false;
  });
  return redis;
}

/** Errors of the connection to Redis, as opposed to errors of a command or of a job. */
export function isRedisUnavailable(err: unknown): boolean {
  const e = err as { name?: string; code?: string; message?: string } | null;
  if (!e) return false;
  return e.name === 'MaxRetriesPerRequestError' || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(e.code ?? '')
    || /Connection is closed|Stream isn't writeable|LOADING|READONLY/.test(e.message ?? '');
}

/**
 * What a connection duplicated from the gateway's one does with its errors: those of the
 * connection are the outage `connectRedis` reports (debug only); anything else is an error,
 * as the mailbox consumers logged every error before.
 */
export function logRedisErrors(log: Logger, context: Record<string, unknown>, what: string) {
  return (err: Error): void => {
    if (isRedisUnavailable(err)) log.debug({ ...context, err: err.message }, `${what}: redis unavailable`);
    else log.error({ ...context, err: err.message }, what);
  };
}

/** How often `watchRedis` asks, and after how long without an answer it says so. */
export const REDIS_WATCH = { everyMs: 2000, silentMs: 5000 };

/**
 * Pings Redis every `everyMs` while the connection is up; a ping unanswered for `silentMs` is
 * one error line, and its answer one line more. A lost connection is `connectRedis`'s to report.
 * Returns `stop`.
 */
export function watchRedis(redis: Redis, log: Logger, opts = REDIS_WATCH): () => void {
  let asked: number | null = null;
  let reported = false;
  const tick = () => {
    if (asked !== null) {
      const waitedMs = Date.now() - asked;
      // unanswered because the connection is down: connectRedis says so
      if (!reported && waitedMs >= opts.silentMs && redis.status === 'ready') {
        reported = true;
        log.error({ waitedMs }, 'redis not answering');
      }
      return;
    }
    if (redis.status !== 'ready') return;
    asked = Date.now();
    redis.ping().then(() => {
      if (reported) log.info({ waitedMs: Date.now() - asked! }, 'redis answering again');
    }, () => undefined).finally(() => {
      asked = null;
      reported = false;
    });
  };
  const timer = setInterval(tick, Math.min(opts.everyMs, opts.silentMs / 2));
  timer.unref();
  return () => clearInterval(timer);
}
