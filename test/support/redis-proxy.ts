// A TCP proxy in front of a real Redis that can lose one answer: Redis runs the command, and the
// connection breaks before its answer reaches the client. That is what a Redis crash does to a
// command in flight once the command has been applied (and written to the append-only file),
// without the timing luck a real crash needs to hit that moment.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RedisProxy {
  url: string;
  /**
   * The next answer to a request that `to.request` matches (RESP bytes, as text), when `to.answer`
   * matches it too (by default: when it is not a null answer), never reaches the client: the
   * connection breaks instead. Resolves once it has.
   */
  loseNextAnswer(to: LostAnswer): Promise<void>;
  /** Breaks every connection now, whatever is in flight (the clients reconnect through the proxy). */
  cutAll(): void;
  /** Breaks every connection, and refuses new ones for `ms`: Redis away for that long, its data kept. */
  awayFor(ms: number): Promise<void>;
  stop(): Promise<void>;
}

export interface LostAnswer {
  request: (text: string) => boolean;
  answer?: (text: string) => boolean;
}

/** Any answer but RESP2's null array (what a blocking read answers when nothing came). */
const NOT_NULL = (answer: string) => answer !== '*-1\r\n';

export async function startRedisProxy(target: { host: string; port: number }): Promise<RedisProxy> {
  let armed: (LostAnswer & { lost: () => void }) | null = null;
  const sockets = new Set<Socket>();
  let awayUntil = 0;
  const server: Server = createServer((client) => {
    if (Date.now() < awayUntil) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    // the requests of the answers to come (what the client sent last)
    let lastRequest = '';
    client.on('data', (chunk: Buffer) => {
      lastRequest = chunk.toString('latin1');
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (armed?.request(lastRequest) && (armed.answer ?? NOT_NULL)(chunk.toString('latin1'))) {
        const { lost } = armed;
        armed = null;
        client.destroy();
        upstream.destroy();
        lost();
        return;
      }
      client.write(chunk);
    });
    const close = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    loseNextAnswer: (to) => new Promise<void>((lost) => { armed = { ...to, lost }; }),
    cutAll() {
      for (const socket of sockets) socket.destroy();
    },
    async awayFor(ms) {
      awayUntil = Date.now() + ms;
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
