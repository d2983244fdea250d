// A scripted IRC server on loopback for the IRC plugin's session tests: it registers clients
// (CAP, NICK/USER, 001/005), answers PING, and lets the test read what the client sent and
// send whatever the test wants. Features InspIRCd 3 lacks (CHATHISTORY, Latin-1 bytes, a
// dropped connection) are tested against it; the real server is in test/integration/irc.test.ts.
import { createServer, type Server, type Socket } from 'node:net';

export interface FakeClient {
  /** Lines received from the client, in order (without CRLF). */
  lines: string[];
  nick: string;
  /** Sends one line (CRLF added); a Buffer is sent as is, for bytes that are not UTF-8. */
  send(line: string | Buffer): void;
  /** The next received line matching, counting lines already received but not yet taken. */
  next(match: RegExp | ((line: string) => boolean), timeoutMs?: number): Promise<string>;
  /** Closes the connection from the server side (a lost connection for the client). */
  drop(): void;
}

export interface FakeServer {
  port: number;
  /** Connections so far, newest last. */
  clients: FakeClient[];
  /** Connection attempts, refused ones included. */
  connections: number;
  /** Resolves with the next registered client (after 001). */
  nextClient(timeoutMs?: number): Promise<FakeClient>;
  /** Nicks the server refuses with 433 at registration. */
  takenNicks: Set<string>;
  /** Refuse new connections (they are accepted and closed at once). */
  refusing: boolean;
  /**
   * Scripted answers by command, run as the line arrives (so before a PING that follows it).
   * Default JOIN: the JOIN echo and an empty NAMES.
   */
  handlers: Record<string, (client: FakeClient, args: string[], line: string) => void>;
  close(): Promise<void>;
}

export const ISUPPORT = 'PREFIX=(qaohv)~&@%+ CHANTYPES=# CASEMAPPING=rfc1459 CHANMODES=b,k,l,imnpst LINELEN=512 CHATHISTORY=100 STATUSMSG=@+ NETWORK=Fake';
const CAPS = 'batch server-time message-tags multi-prefix away-notify draft/chathistory';

export async function startFakeServer(): Promise<FakeServer> {
  const clients: FakeClient[] = [];
  const waiting: ((c: FakeClient) => void)[] = [];
  const sockets = new Set<Socket>();
  const server: FakeServer = {
    port: 0, clients, connections: 0, takenNicks: new Set(), refusing: false,
    handlers: {
      JOIN: (c, args) => {
        c.send(`:${c.nick}!~${c.nick}@gateway.test JOIN ${args[0]}`);
        c.send(`:fake 353 ${c.nick} = ${args[0]} :${c.nick}`);
        c.send(`:fake 366 ${c.nick} ${args[0]} :End of /NAMES list.`);
      },
    },
    nextClient(timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no client registered')), timeoutMs);
        waiting.push((c) => { clearTimeout(timer); resolve(c); });
      });
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };

  const tcp: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    server.connections++;
    if (server.refusing) { socket.destroy(); return; }
    let buffer = '';
    let nick = '';
    let user = false;
    let registered = false;
    let capEnded = true;
    const taken = new Set<number>();
    const watchers: { match: (l: string) => boolean; resolve: (l: string) => void }[] = [];
    const client: FakeClient = {
      lines: [],
      get nick() { return nick; },
      send(line) { socket.write(typeof line === 'string' ? `${line}\r\n` : line); },
      next(match, timeoutMs = 5000) {
        const test = typeof match === 'function' ? match : (l: string) => match.test(l);
        const i = client.lines.findIndex((l, idx) => !taken.has(idx) && test(l));
        if (i >= 0) { taken.add(i); return Promise.resolve(client.lines[i]!); }
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`fake IRC: no line matching ${match} within ${timeoutMs} ms; got:\n${client.lines.join('\n')}`)), timeoutMs);
          watchers.push({ match: test, resolve: (l) => { clearTimeout(timer); resolve(l); } });
        });
      },
      drop() { socket.destroy(); },
    } as FakeClient;
    clients.push(client);
    const welcome = () => {
      if (registered || !nick || !user || !capEnded) return;
      if (server.takenNicks.has(nick)) {
        client.send(`:fake 433 * ${nick} :Nickname is already in use`);
        return;
      }
      registered = true;
      client.send(`:fake 001 ${nick} :Welcome ${nick}`);
      client.send(`:fake 005 ${nick} ${ISUPPORT} :are supported`);
      client.send(`:fake 376 ${nick} :End of MOTD`);
      for (const w of waiting.splice(0)) w(client);
    };
    socket.on('data', (data) => {
      buffer += data.toString('utf8');
      const parts = buffer.split('\r\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        const idx = client.lines.push(line) - 1;
        const w = watchers.findIndex((x) => x.match(line));
        if (w >= 0) { taken.add(idx); watchers.splice(w, 1)[0]!.resolve(line); }
        const [cmd, ...args] = line.split(' ');
        if (registered && cmd && server.handlers[cmd]) {
          server.handlers[cmd]!(client, args, line);
          continue;
        }
        switch (cmd) {
          case 'CAP':
            if (args[0] === 'LS') { capEnded = false; client.send(`:fake CAP * LS :${CAPS}`); }
            else if (args[0] === 'REQ') client.send(`:fake CAP * ACK ${args.slice(1).join(' ')}`);
            else if (args[0] === 'END') { capEnded = true; welcome(); }
            break;
          case 'NICK':
            if (registered) break;
            nick = args[0]!;
            welcome();
            break;
          case 'USER':
            user = true;
            welcome();
            break;
          case 'PING':
            client.send(`:fake PONG fake ${args.join(' ')}`);
            break;
          case 'QUIT':
            client.send('ERROR :Closing link');
            socket.end();
            break;
        }
      }
    });
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  server.port = (tcp.address() as { port: number }).port;
  return server;
}
