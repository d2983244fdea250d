export { ircPlugin, parseIrcOptions, registrationFields, serverFor, type IrcOptions, type ParsedIrcOptions, type IrcShared } from './plugin.ts';
export { IrcSession, identFor, REPLAY_KEPT, BAN_WINDOW_MS, type ChannelState, type Member, type ReplayedLine } from './session.ts';
export { IrcBookmarks } from './bookmarks.ts';
export { IrcMUC } from './muc.ts';
export { IrcLink, type IrcServer, type IrcLinkOptions } from './connection.ts';
export { Throttle, type ThrottleOptions } from './throttle.ts';
export { FallbackTransport } from './transport.ts';
export * from './mapping.ts';
