// Minimal typings for the xmpp.js packages roomgate uses (they ship none for 0.13).
declare module '@xmpp/component' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from 'ltx';
  export interface Component extends EventEmitter {
    status: string;
    socket: (import('node:net').Socket & EventEmitter) | null;
    reconnect: EventEmitter & { delay: number; stop(): void; start(): void };
    start(): Promise<unknown>;
    stop(): Promise<void>;
    send(el: Element): Promise<void>;
    write(text: string): Promise<void>;
  }
  export function component(opts: { service: string; domain: string; password: string }): Component;
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
