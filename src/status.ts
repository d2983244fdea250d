/** `roomgate status`: what an operator needs to see of a running gateway, read from Redis. */
import type { Redis } from 'ioredis';
import type { Keys } from './actors/keys.ts';
import type { Mailboxes } from './transport/mailbox.ts';
import { pendingOutbound } from './transport/outbox.ts';

export interface GatewayStatus {
  workers: { id: string; partitions: number[] }[];
  /** Partitions no live worker holds right now (moving, or no worker at all). */
  unowned: number[];
  edge: string | null;
  mailboxes: { waiting: number; perPartition: number[] };
  outbound: number;
  deadLetters: { count: number; latest: { partition: number; jobId: string; reason: string; at: string }[] };
}

export async function readStatus(redis: Redis, keys: Keys, mailboxes: Mailboxes): Promise<GatewayStatus> {
  const now = Date.now();
  const live = await redis.zrangebyscore(keys.workers(), now, '+inf');
  const owners = await Promise.all(Array.from({ length: keys.partitions }, (_, p) => redis.get(keys.partitionLease(p))));
  const workers = live.map((id) => ({ id, partitions: [] as number[] }));
  const unowned: number[] = [];
  owners.forEach((lease, p) => {
    const worker = lease ? workers.find((w) => lease.startsWith(`${w.id}#`)) : undefined;
    if (worker) worker.partitions.push(p);
    else unowned.push(p);
  });
  const edgeLease = await redis.get(keys.edgeLease());
  const perPartition = await mailboxes.depths();
  const dead = await redis.lrange(keys.deadLetters(), -5, -1);
  return {
    workers,
    unowned,
    edge: edgeLease ? edgeLease.split('#')[0]! : null,
    mailboxes: { waiting: perPartition.reduce((a, b) => a + b, 0), perPartition },
    outbound: await pendingOutbound(redis, keys),
    deadLetters: {
      count: await redis.llen(keys.deadLetters()),
      latest: dead.map((d) => {
        const { partition, jobId, reason, at } = JSON.parse(d) as { partition: number; jobId: string; reason: string; at: string };
        return { partition, jobId, reason, at };
      }),
    },
  };
}

export function formatStatus(s: GatewayStatus): string {
  const lines = [
    `edge: ${s.edge ?? 'none active'}`,
    `workers: ${s.workers.length}`,
    ...s.workers.map((w) => `  ${w.id}: ${w.partitions.length} partitions [${w.partitions.join(' ')}]`),
    `unowned partitions: ${s.unowned.length ? s.unowned.join(' ') : 'none'}`,
    `mailboxes: ${s.mailboxes.waiting} waiting`,
    `outbound: ${s.outbound} not yet written`,
    `dead letters: ${s.deadLetters.count}`,
    ...s.deadLetters.latest.map((d) => `  ${d.at} partition ${d.partition} job ${d.jobId}: ${d.reason}`),
  ];
  return lines.join('\n');
}
