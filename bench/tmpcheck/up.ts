import { startProsody } from '../../src/devstack/prosody.ts';
import { Component as C } from '@xmpp/component-core';
import { parseStanza } from '../../src/transport/xmpp/stanza.ts';
import { writeSlotRequest, readSlotAnswer, uploadRequestId } from '../../src/transport/xmpp/http-upload.ts';
const p = await startProsody({ component: { jid: 'gw.localhost', secret: 's' }, httpUpload: { sizeLimit: 1000 } });
console.log(p.upload);

const x = new (C as any)({ service: `xmpp://127.0.0.1:${p.componentPort}`, domain: 'gw.localhost' });
x.on('error', (e: any) => console.log('err', e.message));
x.on('stanza', async (st: any) => {
  console.log('got', st.toString());
  const a = readSlotAnswer(st);
  console.log(a);
  if (a && 'slot' in a) {
    const r = await fetch(a.slot.put, { method: 'PUT', body: Buffer.from('hello'), headers: { ...a.slot.headers, 'content-type': 'text/plain' } });
    console.log('put', r.status);
    const g = await fetch(a.slot.get); console.log('get', g.status, await g.text(), g.headers.get('content-type'));
  }
});
x.on('connect', () => {});
x.on('open', (el: any) => x.authenticate(el.attrs.id, 's'));
x.on('online', async () => {
  await x.write(writeSlotRequest({ id: uploadRequestId('1'), from: 'gw.localhost', service: p.upload!.service, filename: 'a b.txt', size: 5, contentType: 'text/plain' }));
  await x.write(writeSlotRequest({ id: uploadRequestId('2'), from: 'gw.localhost', service: p.upload!.service, filename: 'big.txt', size: 5000, contentType: 'text/plain' }));
});
await x.start();
await new Promise((r) => setTimeout(r, 2000));
await x.stop(); await p.stop();
