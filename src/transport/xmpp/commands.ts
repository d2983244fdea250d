/**
 * Ad-hoc commands (XEP-0050) on the gateway: the "Groups" commands of spec §1.7. Commands here
 * are stateless: every step's form carries what the next needs, so a session id only names the
 * exchange, and any worker can answer any step.
 */
import { XmppError } from './errors.ts';
import { NS_XDATA } from './ns.ts';
import { xml, type Element } from './stanza.ts';

export const NS_COMMANDS = 'http://jabber.org/protocol/commands';

/** A command the gateway offers: its node and name (disco#items, XEP-0050 §2.2). */
export interface CommandInfo { node: string; name: string }

/** An iq's `<command/>`: which command, which step, and the submitted fields. */
export interface CommandRequest {
  node: string;
  action: 'execute' | 'complete' | 'next' | 'cancel' | 'prev';
  sessionId: string | null;
  /** The submitted form's fields (first value each); null when nothing was submitted. */
  fields: Record<string, string> | null;
}

/** The command request in an iq set, or null when it holds none. */
export function readCommand(iq: Element): CommandRequest | null {
  const command = iq.getChild('command', NS_COMMANDS);
  if (!command || iq.attrs.type !== 'set') return null;
  const node = String(command.attrs.node ?? '');
  if (!node) throw new XmppError('bad-request', 'A command needs a node');
  const action = String(command.attrs.action ?? 'execute');
  if (!['execute', 'complete', 'next', 'cancel', 'prev'].includes(action)) throw new XmppError('bad-request', `Unknown action ${action}`);
  const form = command.getChild('x', NS_XDATA);
  let fields: Record<string, string> | null = null;
  if (form && form.attrs.type === 'submit') {
    fields = {};
    for (const f of form.getChildren('field')) if (f.attrs.var) fields[String(f.attrs.var)] = f.getChildText('value') ?? '';
  }
  return { node, action: action as CommandRequest['action'], sessionId: command.attrs.sessionid ? String(command.attrs.sessionid) : null, fields };
}

/** The commands list (XEP-0050 §2.2): disco#items on the commands node. */
export function writeCommandList(gateway: string, commands: CommandInfo[]): Element {
  return xml('query', { xmlns: 'http://jabber.org/protocol/disco#items', node: NS_COMMANDS },
    ...commands.map((c) => xml('item', { jid: gateway, node: c.node, name: c.name })));
}

/** A form field of a command's form. */
export type FormField =
  | { var: string; type: 'text-single'; label: string; required?: boolean }
  | { var: string; type: 'boolean'; label: string; required?: boolean }
  | { var: string; type: 'list-single'; label: string; required?: boolean; options: { label: string; value: string }[] };

/** A step that asks for a form; its one action completes the command. */
export function writeCommandForm(node: string, sessionId: string, form: { title: string; instructions?: string; fields: FormField[] }): Element {
  return xml('command', { xmlns: NS_COMMANDS, node, sessionid: sessionId, status: 'executing' },
    xml('actions', { execute: 'complete' }, xml('complete')),
    xml('x', { xmlns: NS_XDATA, type: 'form' },
      xml('title', null, form.title),
      form.instructions ? xml('instructions', null, form.instructions) : null,
      ...form.fields.map((f) => xml('field', { var: f.var, type: f.type, label: f.label },
        f.required ? xml('required') : null,
        ...(f.type === 'list-single' ? f.options.map((o) => xml('option', { label: o.label }, xml('value', null, o.value))) : [])))));
}

/** A completed command: a note, and a table (XEP-0004 reported/items) when there is one. */
export function writeCommandDone(
  node: string, sessionId: string,
  out: { note?: string; table?: { title: string; columns: { var: string; label: string; type?: string }[]; rows: Record<string, string>[] } },
): Element {
  const table = out.table;
  return xml('command', { xmlns: NS_COMMANDS, node, sessionid: sessionId, status: 'completed' },
    out.note ? xml('note', { type: 'info' }, out.note) : null,
    table ? xml('x', { xmlns: NS_XDATA, type: 'result' },
      xml('title', null, table.title),
      xml('reported', null, ...table.columns.map((c) => xml('field', { var: c.var, label: c.label, type: c.type }))),
      ...table.rows.map((row) => xml('item', null,
        ...table.columns.map((c) => xml('field', { var: c.var }, xml('value', null, row[c.var] ?? '')))))) : null);
}

/** A canceled command (XEP-0050 §3.4). */
export function writeCommandCanceled(node: string, sessionId: string): Element {
  return xml('command', { xmlns: NS_COMMANDS, node, sessionid: sessionId, status: 'canceled' });
}
