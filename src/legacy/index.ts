export { MucType } from './types.ts';
export type { MucAffiliation, MucRole, Hat, HoleBound, LegacyContact, MessageReference, SendTextOptions, Show, RegistrationField } from './types.ts';
export { LegacyMUC, type RoomInfo, type RoomEventSink } from './muc.ts';
export { LegacyParticipant, type ParticipantOptions } from './participant.ts';
export { LegacyBookmarks } from './bookmarks.ts';
export { BaseSession, type GatewayUser, type SessionHost, type TextOptions } from './session.ts';
export { definePlugin, type Plugin, type AnyPlugin, type PluginStartContext } from './plugin.ts';
export { escapeLocalPart, unescapeLocalPart } from './escape.ts';
export { XmppError, NotImplemented } from '../transport/xmpp/errors.ts';
