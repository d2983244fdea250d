/**
 * roomgate in a child process for the bench: the same `startGateway` as `roomgate start`
 * (config file, silent log), plus an IPC channel through which the bench drives the demo
 * network in-process (bench/lib/gateway-core.ts). Started by bench/lib/gateway.ts with
 * `node --expose-gc --import tsx bench/gateway-proc.ts CONFIG`.
 */
import { GatewayCore } from './lib/gateway-core.ts';

interface Request { id: number; cmd: string; args: unknown[] }

const send = (msg: unknown) => new Promise<void>((resolve) => process.send!(msg, () => resolve()));

// The bench went away: nothing else will ever stop us.
process.on('disconnect', () => process.exit(1));

const configPath = process.argv[2];
if (!configPath || !process.send) {
  console.error('usage: forked by the bench with a config path');
  process.exit(2);
}

let core: GatewayCore;
try {
  core = await GatewayCore.start(configPath);
} catch (err) {
  await send({ ready: false, error: (err as Error).stack ?? String(err) });
  process.exit(1);
}

process.on('message', async (req: Request) => {
  try {
    let result: unknown;
    switch (req.cmd) {
      case 'post': result = core.post(...(req.args as Parameters<GatewayCore['post']>)); break;
      case 'observeStart': result = core.observeStart(...(req.args as Parameters<GatewayCore['observeStart']>)); break;
      case 'observeWait': result = await core.observeWait(...(req.args as Parameters<GatewayCore['observeWait']>)); break;
      case 'memory': result = await core.memory(); break;
      case 'hibernate': result = await core.hibernate(); break;
      case 'heapSnapshot': result = await core.heapSnapshot(...(req.args as Parameters<GatewayCore['heapSnapshot']>)); break;
      case 'cpuMs': result = core.cpuMs(); break;
      case 'profileStart': result = await core.profileStart(...(req.args as Parameters<GatewayCore['profileStart']>)); break;
      case 'profileStop': result = await core.profileStop(...(req.args as Parameters<GatewayCore['profileStop']>)); break;
      case 'stop':
        await core.stop();
        await send({ id: req.id, ok: true });
        process.exit(0);
        break;
      default: throw new Error(`unknown command ${req.cmd}`);
    }
    await send({ id: req.id, ok: true, result });
  } catch (err) {
    await send({ id: req.id, ok: false, error: (err as Error).stack ?? String(err) });
  }
});

await send({ ready: true, pid: process.pid });
