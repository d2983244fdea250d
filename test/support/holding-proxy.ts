// A TCP proxy that can hold what one side writes and then break the connections with it: bytes
// a sender wrote that never reached the other side, as when a connection breaks while the
// kernel's buffers still hold them.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface HoldingProxy {
  port: number;
  /** From now on, what clients write is held here instead of going on. */
  hold(): void;
  /** What is held, as text. */
  held(): string;
  /** Breaks every connection; what was held is lost. New connections go through as before. */
  cut(): void;
  stop(): Promise<void>;
}

export async function startHoldingProxy(target: { host: string; port: number }): Promise<HoldingProxy> {
  const sockets = new Set<Socket>();
  let holding = false;
  let held: Buffer[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => {
      if (holding) held.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const close = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hold() { holding = true; },
    held: () => Buffer.concat(held).toString('utf8'),
    cut() {
      holding = false;
      held = [];
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
