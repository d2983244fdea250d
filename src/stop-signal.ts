import type { Logger } from 'pino';

/**
 * Resolves with the first SIGINT or SIGTERM: the caller stops gracefully (jobs in progress
 * drained, leases given back). A second signal while it does exits at once: the operator does
 * not want to wait, and nothing is lost (a partition's next owner runs its unfinished job again).
 */
export function stopSignal(log: () => Logger | undefined): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first = 0;
    const on = (signal: NodeJS.Signals) => {
      if (!first) {
        first = Date.now();
        resolve(signal);
        return;
      }
      // npm forwards the terminal's SIGINT too: the same Ctrl-C can arrive twice at once
      if (Date.now() - first < 1500) return;
      log()?.warn({ signal }, 'second signal: stopping now, without waiting');
      process.exit(130); // exit hooks still run (the demo's kill its servers)
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
