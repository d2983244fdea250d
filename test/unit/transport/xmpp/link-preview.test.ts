// Link previews as Cheogram writes them (spec §3.23): RDF Descriptions with Open Graph properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readLinkPreviews, writeLinkPreviews } from '../../../../src/transport/xmpp/link-preview.ts';
import { messageXml, readGroupchat, writeMessage } from '../../../../src/transport/xmpp/muc-message.ts';
import { parseStanza, xml } from '../../../../src/transport/xmpp/stanza.ts';

const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
const OG = 'https://ogp.me/ns#';

test("Cheogram's prefixed form and the default-namespace form read the same; other children and empty ones are no preview", () => {
  const prefixed = parseStanza(`<message><body>see https://a.example/x</body>
    <rdf:Description xmlns:rdf="${RDF}" rdf:about="https://a.example/x">
      <og:title xmlns:og="${OG}">A page</og:title><og:site_name xmlns:og="${OG}">A</og:site_name><og:unknown xmlns:og="${OG}">?</og:unknown>
    </rdf:Description>
    <Description xmlns="${RDF}" about="https://b.example/"><title xmlns="${OG}">B</title><image xmlns="${OG}">https://b.example/i.png</image></Description>
    <Description xmlns="urn:other" about="https://c.example/"/><rdf:Description xmlns:rdf="${RDF}"/>
    <Description xmlns="${RDF}" xmlns:ns1="${RDF}" ns1:about="https://d.example/"><title xmlns="${OG}">D, as Prosody passes it on</title></Description></message>`);
  assert.deepEqual(readLinkPreviews(prefixed), [
    { about: 'https://a.example/x', title: 'A page', siteName: 'A' },
    { about: 'https://b.example/', title: 'B', image: 'https://b.example/i.png' },
    { about: 'https://d.example/', title: 'D, as Prosody passes it on' },
  ]);
  assert.deepEqual(readLinkPreviews(parseStanza('<message><body>hi</body></message>')), []);
});

test('written with default namespaces, and read back the same; a message with previews is written by the element tree', () => {
  const previews = [{ about: 'https://a.example/x', title: 'A <page>', description: 'd', url: 'https://a.example/x', type: 'website', siteName: 'A' }];
  const message = xml('message', {}, xml('body', {}, 'x'), ...writeLinkPreviews(previews));
  assert.equal(message.getChildren('Description', RDF)[0]!.toString(),
    `<Description xmlns="${RDF}" about="https://a.example/x"><title xmlns="${OG}">A &lt;page&gt;</title><description xmlns="${OG}">d</description>`
    + `<url xmlns="${OG}">https://a.example/x</url><type xmlns="${OG}">website</type><site_name xmlns="${OG}">A</site_name></Description>`);
  assert.deepEqual(readLinkPreviews(parseStanza(message.toString())), previews);
  const m = { room: 'r@gw', nick: 'juliet', type: 'groupchat' as const, body: 'x', linkPreviews: previews };
  assert.equal(messageXml(m, 'romeo@example/a'), writeMessage(m, 'romeo@example/a').toString());
  // the user's message and correction carry them to the plugin
  const read = readGroupchat(parseStanza(message.toString().replace('<message>', '<message type="groupchat" to="r@gw">')));
  assert.deepEqual((read as { linkPreviews?: unknown }).linkPreviews, previews);
});
