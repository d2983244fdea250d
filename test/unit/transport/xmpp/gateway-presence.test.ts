// The gateway as its users' contact: its caps (XEP-0115), its presences, and the avatar
// notifications its caps ask for (XEP-0084 in a pubsub event).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capsVer, readAvatarNotification, writeGatewayPresence } from '../../../../src/transport/xmpp/gateway-presence.ts';
import { gatewayCapsVer, writeGatewayInfo } from '../../../../src/transport/xmpp/disco.ts';
import { parseStanza } from '../../../../src/transport/xmpp/stanza.ts';

test('the verification string is XEP-0115 §5.2\'s for its example', () => {
  assert.equal(capsVer([{ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }], [
    'http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items',
    'http://jabber.org/protocol/muc', 'http://jabber.org/protocol/caps',
  ]), 'QgayPKawpkPSDYmwT/WM94uAlu0=');
});

test("the gateway's caps name its disco#info, which asks for avatar notifications; a node query is answered under that node", () => {
  const info = writeGatewayInfo('Demo', 'urn:roomgate#x');
  assert.equal(info.attrs.node, 'urn:roomgate#x');
  const identities = info.getChildren('identity').map((i) => ({ category: String(i.attrs.category), type: String(i.attrs.type), name: String(i.attrs.name) }));
  const features = info.getChildren('feature').map((f) => String(f.attrs.var));
  assert.ok(features.includes('urn:xmpp:avatar:metadata+notify'));
  assert.equal(gatewayCapsVer('Demo'), capsVer(identities, features));
  assert.notEqual(gatewayCapsVer('Demo'), gatewayCapsVer('IRC'));
});

test("the gateway's presences: available with its caps, or a subscription step", () => {
  assert.equal(writeGatewayPresence({ gateway: 'gw.example', to: 'romeo@example', ver: 'abc=' }),
    '<presence from="gw.example" to="romeo@example"><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="urn:roomgate" ver="abc="/></presence>');
  assert.equal(writeGatewayPresence({ gateway: 'gw.example', to: 'romeo@example', type: 'subscribe' }),
    '<presence from="gw.example" to="romeo@example" type="subscribe"/>');
});

test('an avatar notification gives the newest image\'s hash, null for empty metadata; other events are none', () => {
  const event = (node: string, item: string) => parseStanza(`<message from="romeo@example" to="gw.example" type="headline"><event xmlns="http://jabber.org/protocol/pubsub#event"><items node="${node}">${item}</items></event></message>`);
  const META = 'urn:xmpp:avatar:metadata';
  assert.equal(readAvatarNotification(event(META, `<item id="h1"><metadata xmlns="${META}"><info id="h1" bytes="3" type="image/png"/><info id="h2" url="https://x/y.png" type="image/png"/></metadata></item>`)), 'h1');
  assert.equal(readAvatarNotification(event(META, `<item id="none"><metadata xmlns="${META}"/></item>`)), null);
  assert.equal(readAvatarNotification(event('urn:xmpp:mds:displayed:0', '<item id="r@gw.example"/>')), undefined);
  assert.equal(readAvatarNotification(parseStanza('<message from="romeo@example" to="gw.example"><body>hi</body></message>')), undefined);
});
