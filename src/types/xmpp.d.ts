// Minimal typings for the xmpp.js packages roomgate uses (they ship none for 0.13).
declare module '@xmpp/component-core' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from 'ltx';
  export class Component extends EventEmitter {
    constructor(opts: { service: string; domain: string });
    status: string;
    socket: (import('node:net').Socket & EventEmitter) | null;
    authenticate(id: string, password: string): Promise<void>;
    start(): Promise<unknown>;
    stop(): Promise<void>;
    send(el: Element): Promise<void>;
    /** Hands `text` to the socket as it is (a Buffer is written as bytes). */
    write(text: string | Buffer): Promise<void>;
  }
}

declare module '@xmpp/reconnect' {
  import type { EventEmitter } from 'node:events';
  export interface Reconnect extends EventEmitter { delay: number; stop(): void; start(): void }
  export default function reconnect(opts: { entity: unknown }): Reconnect;
}

declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from 'ltx';
  export interface Client extends EventEmitter {
    status: string;
    jid: { toString(): string } | null;
    start(): Promise<unknown>;
    stop(): Promise<void>;
    send(el: Element): Promise<void>;
    iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
  }
  export function client(opts: {
    service: string; domain: string; username?: string; password?: string; resource?: string;
  }): Client;
  export function xml(name: string, attrs?: Record<string, unknown> | null, ...children: unknown[]): Element;
}
