/**
 * The session actor: one user's connection to the legacy network.
 *
 *   loggedOut ─login→ loggingIn ─done→ loggedIn ─disconnected→ reconnecting ─connected→ loggedIn
 *                         └─error→ loggedOut (error kept)              any ─logout→ loggedOut
 *
 * `loggingIn` invokes the plugin's `login()` then `bookmarks.fill()` (the `login` actor, bound
 * by the runtime). While reconnecting, the plugin is getting its connection back; stanzas for
 * the session are refused with `recipient-unavailable` (spec §2.1.3) rather than sent into a
 * dead connection. Pure: no I/O here.
 */
import { assign, fromPromise, setup } from 'xstate';

export interface SessionContext {
  user: string;
  /** Why the last login failed, or why the connection dropped; null when all is well. */
  error: string | null;
  /** How many times the connection dropped since the login. */
  reconnects: number;
}

export type SessionEvent =
  | { type: 'login' }
  | { type: 'logout' }
  /** The plugin lost its connection and is getting it back. */
  | { type: 'legacy.disconnected'; reason?: string }
  | { type: 'legacy.connected' };

export const sessionMachine = setup({
  types: {
    context: {} as SessionContext,
    events: {} as SessionEvent,
    input: {} as { user: string },
  },
  actors: {
    login: fromPromise<void, { user: string }>(async () => {
      throw new Error("session machine: 'login' is not bound; use sessionMachine.provide({ actors: { login } })");
    }),
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({ user: input.user, error: null, reconnects: 0 }),
  initial: 'loggedOut',
  states: {
    loggedOut: {
      on: { login: 'loggingIn' },
    },
    loggingIn: {
      tags: 'busy',
      invoke: {
        src: 'login',
        input: ({ context }) => ({ user: context.user }),
        onDone: { target: 'loggedIn', actions: assign({ error: null }) },
        onError: {
          target: 'loggedOut',
          actions: assign({ error: ({ event }) => String((event.error as Error)?.message ?? event.error) }),
        },
      },
      on: { logout: 'loggedOut' },
    },
    loggedIn: {
      on: {
        'legacy.disconnected': {
          target: 'reconnecting',
          actions: assign({
            error: ({ event }) => event.reason ?? 'connection lost',
            reconnects: ({ context }) => context.reconnects + 1,
          }),
        },
        logout: 'loggedOut',
      },
    },
    reconnecting: {
      on: {
        'legacy.connected': { target: 'loggedIn', actions: assign({ error: null }) },
        logout: 'loggedOut',
      },
    },
  },
});
