/**
 * Groupchat messages from rooms and occupants (XEP-0045 §7.4, §8.1 subject), with XEP-0359
 * stanza-id, XEP-0421 occupant-id and XEP-0203 delay; the echo of the user's own messages
 * (spec §3.13) and history replay (§2.4). Composes the message XEPs of spec §3.14–§3.21, each
 * in its own file: what a user's groupchat message asks for (`readGroupchat`), and the
 * payloads of a participant's (`writeMessage`).
 */
import type { EchoIntent, MessageIntent, ReplayIntent } from '../../machines/ports.ts';
import type { XmppRoomEvent } from '../../machines/events.ts';
import { NS_CHATSTATES, NS_DELAY, NS_MARKERS, NS_MUC_USER, NS_OCCUPANT_ID, NS_SID } from './ns.ts';
/** XEP-0249 direct invitations. */
export const NS_CONFERENCE = 'jabber:x:conference';
import { occupantJid } from './muc-presence.ts';
import { readChatState, writeChatState } from './chat-states.ts';
import { readDisplayed, writeDisplayed, writeMarkable } from './chat-markers.ts';
import { NS_HINTS, writeHint } from './hints.ts';
import { readReplace, writeReplace } from './message-correct.ts';
import { writeModerated } from './message-moderate.ts';
import { readRetract, writeRetract } from './message-retract.ts';
import { readOobUrl, writeOob } from './oob.ts';
import { readClientFile, writeSfs, writeSims, type ClientFile } from './file-sharing.ts';
import { readReactions, writeReactions } from './reactions.ts';
import { readReply, writeReply } from './reply.ts';
import { readLinkPreviews, writeLinkPreviews } from './link-preview.ts';
import type { LinkPreview } from '../../legacy/types.ts';
import { errorElement, escapeAttr, escapeText, parseStanza, resourceOf, xml, xmlAttr, xmlString, type Element } from './stanza.ts';
import { BoundedMap } from '../../bounded-map.ts';
import { merge } from '../../merge.ts';

type Read<T extends XmppRoomEvent['type']> = Omit<Extract<XmppRoomEvent, { type: T }>, 'eventId' | 'at' | 'from' | 'id'>;
/** What a user's groupchat message asks the room for, without sender and event metadata. */
export type GroupchatRead =
  | Read<'xmpp.message'> | Read<'xmpp.correction'> | Read<'xmpp.retraction'> | Read<'xmpp.reaction'>
  | Read<'xmpp.displayed'> | Read<'xmpp.chatState'>;

/**
 * The user messages last read, or echoed, and their parsed stanzas (read only), by their XML:
 * an echo is written for each resource and once more for the archive from the one parse. Not
 * only the last one: a job reads its next message before the previous one's echo is written
 * (the echo waits for the network's answer).
 */
const readEchoes = new BoundedMap<string, Element>(256);

/**
 * Reads a groupchat message from the user (not a subject change). A retraction or reaction is
 * never text, even with a fallback body (spec §3.15); an empty correction is a retraction
 * (spec §3.14); a chat state counts only without a body, and `gone` not at all (spec §3.20).
 * Null: nothing to do (spec §3.13.2).
 */
export function readGroupchat(el: Element, text?: string): GroupchatRead | null {
  const read = readWithoutThread(el, text);
  // spec §3.23: whatever the user does, in a thread, names it
  const thread = read && el.getChildText('thread')?.trim();
  return thread ? { ...read, thread } : read;
}

/** Spec §3.23: the previews a client attached, where it did. */
function linkPreviewsOf(el: Element): { linkPreviews?: LinkPreview[] } {
  const previews = readLinkPreviews(el);
  return previews.length ? { linkPreviews: previews } : {};
}

/** An attachment's URL, and what the client said of the file (spec §3.19). */
function fileOf(el: Element, oob: string): { oob: string; file?: ClientFile } {
  const file = readClientFile(el);
  return file ? { oob, file } : { oob };
}

function readWithoutThread(el: Element, text?: string): GroupchatRead | null {
  // `text`: what `el` was parsed from; its echo (`writeEcho`) is then made without a second parse
  const xmlText = text ?? el.toString();
  readEchoes.set(xmlText, el);
  const body = el.getChildText('body');
  const retracted = readRetract(el);
  if (retracted !== null) return { type: 'xmpp.retraction', targetId: retracted, xml: xmlText };
  const replaced = readReplace(el);
  if (replaced !== null) {
    if (!body?.trim()) return { type: 'xmpp.retraction', targetId: replaced, xml: xmlText };
    return { type: 'xmpp.correction', replaceId: replaced, body, xml: xmlText, ...linkPreviewsOf(el) };
  }
  const reactions = readReactions(el);
  if (reactions) return { type: 'xmpp.reaction', targetId: reactions.id, emojis: reactions.emojis, xml: xmlText };
  const oob = readOobUrl(el);
  if (body !== null || oob !== null) {
    const reply = readReply(el, body ?? '');
    return {
      type: 'xmpp.message', body: reply ? reply.text : body ?? oob!, xml: xmlText,
      ...(reply ? {
        replyTo: {
          id: reply.id,
          ...(reply.to && resourceOf(reply.to) ? { nick: resourceOf(reply.to) } : {}),
          ...(reply.fallback !== undefined ? { fallbackText: reply.fallback } : {}),
        },
      } : {}),
      ...(oob ? fileOf(el, oob) : {}),
      ...linkPreviewsOf(el),
    };
  }
  const displayed = readDisplayed(el);
  if (displayed !== null) return { type: 'xmpp.displayed', targetId: displayed, xml: xmlText };
  const state = readChatState(el);
  if (state && state !== 'gone') return { type: 'xmpp.chatState', state };
  return null;
}

/** Namespaces of what an archived form leaves out (spec §3.2): chat states, hints, `<markable/>`. */
const NOT_ARCHIVED = new Set([NS_CHATSTATES, NS_HINTS, NS_MARKERS]);

/** One stanza per recipient; `to` omitted builds the archived form. */
export function writeMessage(m: Omit<MessageIntent, 'to'>, to?: string): Element {
  const el = xml('message', { from: occupantJid(m.room, m.nick), to, id: m.id, type: m.type });
  if (m.type === 'error') {
    el.cnode(errorElement(m.error!));
    return el;
  }
  if (m.subject !== undefined) el.cnode(xml('subject', null, m.subject));
  if (m.body !== undefined) el.cnode(xml('body', null, m.body));
  if (m.thread !== undefined) el.cnode(xml('thread', null, m.thread));
  if (m.linkPreviews) for (const d of writeLinkPreviews(m.linkPreviews)) el.cnode(d);
  if (m.reply) {
    const to = m.reply.nick !== undefined ? occupantJid(m.room, m.reply.nick) : undefined;
    for (const c of writeReply(m.reply.id, to, m.reply.quoteLength)) el.cnode(c);
  }
  if (m.retract) for (const c of writeRetract(m.retract)) el.cnode(c);
  if (m.replace) el.cnode(writeReplace(m.replace));
  if (m.reactions) el.cnode(writeReactions(m.reactions.id, m.reactions.emojis));
  if (m.oob) el.cnode(writeOob(m.oob));
  if (m.oob && m.file) {
    el.cnode(writeSims(m.file, m.oob));
    el.cnode(writeSfs(m.file, m.oob));
  }
  if (m.moderated) {
    const { id, by, reason } = m.moderated;
    el.cnode(writeModerated(id, occupantJid(m.room, by), reason));
  }
  if (m.displayed) el.cnode(writeDisplayed(m.displayed));
  if (m.chatState) el.cnode(writeChatState(m.chatState));
  if (m.markable) el.cnode(writeMarkable());
  if (m.hint) el.cnode(writeHint(m.hint));
  if (m.private) el.cnode(xml('x', { xmlns: NS_MUC_USER }));
  if (m.codes?.length) el.cnode(xml('x', { xmlns: NS_MUC_USER }, ...m.codes.map((code) => xml('status', { code }))));
  if (m.invite) el.cnode(xml('x', { xmlns: NS_CONFERENCE, jid: m.invite.jid, reason: m.invite.reason }));
  if (m.delay) el.cnode(xml('delay', { xmlns: NS_DELAY, stamp: m.delay.stamp, from: m.delay.from }));
  if (m.stanzaId) el.cnode(xml('stanza-id', { xmlns: NS_SID, by: m.room, id: m.stanzaId }));
  if (m.occupantId) el.cnode(xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id: m.occupantId }));
  return el;
}

/**
 * `writeMessage(m, to).toString()` without the element tree, for the common message (text or
 * subject, chat state, marker request, delay, ids): one string per recipient is W2's hot path.
 * Anything else is written by `writeMessage`. The same XML, byte for byte (unit-tested).
 */
export function messageXml(m: Omit<MessageIntent, 'to'>, to?: string): string {
  if (m.type === 'error' || m.reply || m.retract || m.replace || m.reactions || m.oob || m.moderated || m.displayed || m.linkPreviews
    || m.hint || m.private || m.codes || m.invite) return writeMessage(m, to).toString();
  // one template per element rather than xmlString's attribute objects: 1.2 KB allocated per
  // message instead of 2.3 (W2 writes two per message), the same XML (unit-tested)
  let children = '';
  if (m.subject !== undefined) children += `<subject>${escapeText(m.subject)}</subject>`;
  if (m.body !== undefined) children += `<body>${escapeText(m.body)}</body>`;
  if (m.thread !== undefined) children += `<thread>${escapeText(m.thread)}</thread>`;
  if (m.chatState) children += `<${m.chatState} xmlns="${NS_CHATSTATES}"/>`;
  if (m.markable) children += `<markable xmlns="${NS_MARKERS}"/>`;
  if (m.delay) children += `<delay xmlns="${NS_DELAY}" stamp="${escapeAttr(m.delay.stamp)}"${xmlAttr('from', m.delay.from)}/>`;
  if (m.stanzaId) children += `<stanza-id xmlns="${NS_SID}" by="${escapeAttr(m.room)}" id="${escapeAttr(m.stanzaId)}"/>`;
  if (m.occupantId) children += `<occupant-id xmlns="${NS_OCCUPANT_ID}" id="${escapeAttr(m.occupantId)}"/>`;
  const head = `<message from="${escapeAttr(occupantJid(m.room, m.nick))}"${xmlAttr('to', to)}${xmlAttr('id', m.id)}${xmlAttr('type', m.type)}`;
  return children ? `${head}>${children}</message>` : `${head}/>`;
}

/** The parsed stanza of an echo's client message: the one `readGroupchat` read, or parsed now. */
function parseEcho(text: string): Element {
  let el = readEchoes.get(text);
  if (!el) readEchoes.set(text, el = parseStanza(text));
  return el;
}

/**
 * The client's message reflected from the room: original payload and id kept, addressing
 * replaced, with the room's stanza-id and the user's occupant-id (spec §3.13.3). `to` omitted
 * builds the archived form, without chat states, marker requests or hints (spec §3.2).
 */
export function writeEcho(e: Omit<EchoIntent, 'to'>, to?: string): Element {
  const original = parseEcho(e.xml);
  const el = xml(original.name);
  el.attrs = echoAttrs(original, e, to);
  el.children = original.children.filter((c) => typeof c === 'string' || keptInEcho(c, e.room, to !== undefined));
  el.cnode(xml('stanza-id', { xmlns: NS_SID, by: e.room, id: e.stanzaId }));
  el.cnode(xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id: e.occupantId }));
  return el;
}

/** An echo's kept children, serialised once per client message: for the resources, and archived. */
const echoChildren = new WeakMap<Element, { room: string; live?: string; archived?: string }>();

/**
 * `writeEcho(e, to).toString()` without a new element tree: the kept children are serialised
 * once per client message and shared by every resource's echo and the archived form (W3's
 * hot path wrote the tree three times). The same XML, byte for byte (unit-tested).
 */
export function echoXml(e: Omit<EchoIntent, 'to'>, to?: string): string {
  const original = parseEcho(e.xml);
  let cached = echoChildren.get(original);
  if (cached?.room !== e.room) echoChildren.set(original, cached = { room: e.room });
  const kept = to ? (cached.live ??= keptChildren(original, e.room, true)) : (cached.archived ??= keptChildren(original, e.room, false));
  const ids = `<stanza-id xmlns="${NS_SID}" by="${escapeAttr(e.room)}" id="${escapeAttr(e.stanzaId)}"/>`
    + `<occupant-id xmlns="${NS_OCCUPANT_ID}" id="${escapeAttr(e.occupantId)}"/>`;
  return xmlString(original.name, echoAttrs(original, e, to), kept + ids);
}

/** The echo's attributes: the client's, from the user's occupant JID, to `to` (none archived). */
function echoAttrs(original: Element, e: Omit<EchoIntent, 'to'>, to?: string): Record<string, string> {
  // copied key by key, in the client's order, rather than spread and `delete`d: a delete turns
  // the object into a slow dictionary, and a spread with added keys is slow on Node 20 (merge.ts)
  const attrs: Record<string, string> = {};
  const from = occupantJid(e.room, e.nick);
  const given = original.attrs as Record<string, string>;
  for (const k in given) {
    if (k === 'xmlns' || (k === 'to' && !to)) continue;
    attrs[k] = k === 'from' ? from : k === 'type' ? 'groupchat' : k === 'to' ? to! : given[k]!;
  }
  if (!('from' in attrs)) attrs.from = from;
  if (!('type' in attrs)) attrs.type = 'groupchat';
  if (to && !('to' in attrs)) attrs.to = to;
  return attrs;
}

/**
 * Whether the echo keeps a child of the client's message: never the room's ids, which a client
 * must not be able to forge (XEP-0359 §3.1, XEP-0421 §4); in the archived form (`live` false),
 * no chat state, hint or marker request (spec §3.2).
 */
function keptInEcho(c: Element, room: string, live: boolean): boolean {
  return !((c.name === 'stanza-id' && c.attrs.by === room) || c.name === 'occupant-id'
    || (!live && NOT_ARCHIVED.has(String(c.attrs.xmlns)) && (c.attrs.xmlns !== NS_MARKERS || c.name === 'markable')));
}

/** What `writeEcho` keeps of the client's children, as XML. */
function keptChildren(original: Element, room: string, live: boolean): string {
  let out = '';
  for (const c of original.children) {
    if (typeof c === 'string') out += escapeText(c);
    else if (keptInEcho(c, room, live)) out += c.toString();
  }
  return out;
}

/** An archived message's stanza without the delay it may carry: what replays it adds its own. */
export function archivedStanza(archivedXml: string): Element {
  const el = parseStanza(archivedXml);
  el.children = el.children.filter((c) => typeof c === 'string' || c.name !== 'delay');
  return el;
}

/** An archived message as history on join: addressed to the joiner, delayed to its time. */
export function writeReplay(r: ReplayIntent): Element {
  const el = archivedStanza(r.xml);
  el.attrs.to = r.to;
  el.cnode(xml('delay', { xmlns: NS_DELAY, stamp: r.stamp, from: r.room }));
  return el;
}
