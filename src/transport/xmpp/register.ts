/**
 * In-band registration with the gateway (XEP-0077), with a XEP-0004 data form whose fields the
 * plugin declares. Implements: form request (§3.1), registration (§3.1), unregistration with
 * `<remove/>` (§3.2). Not yet: password change (§3.3), which a gateway has no use for.
 */
import type { RegistrationField } from '../../legacy/types.ts';
import { XmppError } from './errors.ts';
import { NS_REGISTER, NS_XDATA } from './ns.ts';
import { xml, type Element } from './stanza.ts';

export type RegisterRequest =
  | { kind: 'form' }
  | { kind: 'remove' }
  | { kind: 'submit'; fields: Record<string, string> };

/** Reads an iq to the gateway with `<query xmlns='jabber:iq:register'/>`. */
export function readRegister(iq: Element): RegisterRequest {
  const query = iq.getChild('query', NS_REGISTER)!;
  if (iq.attrs.type === 'get') return { kind: 'form' };
  if (query.getChild('remove')) return { kind: 'remove' };
  const fields: Record<string, string> = {};
  const form = query.getChild('x', NS_XDATA);
  if (form) {
    if (form.attrs.type && form.attrs.type !== 'submit') throw new XmppError('bad-request', 'The form must be of type submit');
    for (const f of form.getChildren('field')) {
      if (f.attrs.var && f.attrs.var !== 'FORM_TYPE') fields[f.attrs.var] = f.getChildText('value') ?? '';
    }
  } else {
    // legacy fields (XEP-0077 §3.1 without a form): one element per field
    for (const child of query.getChildElements()) fields[child.name] = child.getText();
  }
  return { kind: 'submit', fields };
}

/** Checks a submission against the plugin's fields: required ones present, unknown ones dropped. */
export function validateRegistration(fields: RegistrationField[], submitted: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const value = submitted[f.var]?.trim() ?? '';
    if (!value && f.required) throw new XmppError('not-acceptable', `Missing required field: ${f.label} (${f.var})`);
    if (value) out[f.var] = value;
  }
  return out;
}

/** The registration form (XEP-0077 §3.1 example 2, with a data form per §6). */
export function writeRegisterForm(opts: {
  title: string; instructions: string; fields: RegistrationField[]; current: Record<string, string> | null;
}): Element {
  const form = xml('x', { xmlns: NS_XDATA, type: 'form' },
    xml('title', null, opts.title),
    xml('instructions', null, opts.instructions),
    xml('field', { type: 'hidden', var: 'FORM_TYPE' }, xml('value', null, NS_REGISTER)),
    ...opts.fields.map((f) => xml('field', { var: f.var, label: f.label, type: f.type ?? 'text-single' },
      f.required ? xml('required') : null,
      (opts.current?.[f.var] ?? f.value) !== undefined ? xml('value', null, (opts.current?.[f.var] ?? f.value)!) : null)),
  );
  return xml('query', { xmlns: NS_REGISTER },
    opts.current ? xml('registered') : null,
    xml('instructions', null, opts.instructions),
    form,
  );
}
