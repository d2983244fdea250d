import type { Logger } from 'pino';
import type { LegacyBookmarks } from './bookmarks.ts';
import type { LegacyMUC, RoomEventSink } from './muc.ts';
import type { LegacyParticipant, ParticipantOptions } from './participant.ts';
import type { BaseSession, GatewayUser, SessionHost } from './session.ts';
import type { RegistrationField } from './types.ts';

/** What `start()` gets: the plugin's own options (from the config file) and a logger. */
export interface PluginStartContext {
  options: Record<string, unknown>;
  log: Logger;
}

/** A legacy network adapter: its classes, its registration form, its shared client. */
export interface Plugin<Shared = unknown, S extends BaseSession<Shared> = BaseSession<Shared>> {
  /** The name the config file uses (`plugin.name`). */
  name: string;
  /** Shown in disco and as the registration form's title. */
  displayName: string;
  session: new (user: GatewayUser, plugin: AnyPlugin, shared: Shared, host: SessionHost) => S;
  bookmarks: new (session: S) => LegacyBookmarks<S>;
  muc: new (session: S, legacyId: string, jid: string, sink: RoomEventSink) => LegacyMUC<any>;
  participant: new (muc: LegacyMUC<any>, nickname: string, opts?: ParticipantOptions) => LegacyParticipant;
  /** The fields of the XEP-0077 registration form. */
  registration: { instructions: string; fields: RegistrationField[] };
  /**
   * Called on start-up, once per process: connect whatever all sessions share (and check the
   * plugin's options). Throw to refuse to start.
   */
  start(ctx: PluginStartContext): Promise<Shared>;
  /** Called on shutdown with what `start()` returned. */
  stop?(shared: Shared): Promise<void>;
}

// eslint-style escape hatch: the runtime handles plugins without knowing their Shared type
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPlugin = Plugin<any, any>;

/** Declares a plugin; the classes are named, never discovered. */
export function definePlugin<Shared, S extends BaseSession<Shared> = BaseSession<Shared>>(plugin: Plugin<Shared, S>): Plugin<Shared, S> {
  return plugin;
}
