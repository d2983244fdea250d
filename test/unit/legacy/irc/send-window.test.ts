import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEND_WINDOW, SendWindow } from '../../../../src/legacy/irc/send-window.ts';

test('a PING follows every markEvery bytes; the window closes at size bytes unanswered', () => {
  const w = new SendWindow({ size: 100, markEvery: 40 });
  const line = 'x'.repeat(18); // 20 bytes with CRLF
  assert.equal(w.wrote(line), null);
  assert.equal(w.wrote(line), 'PING :rg-w-1', '40 bytes: marked');
  assert.equal(w.unanswered, 40 + 'PING :rg-w-1\r\n'.length);
  assert.ok(w.open);
  assert.equal(w.wrote(line), null);
  assert.equal(w.wrote(line), 'PING :rg-w-2');
  assert.ok(!w.open, `${w.unanswered} bytes unanswered`);
  assert.equal(w.answer('rg-w-1'), true);
  assert.equal(w.unanswered, 54, 'what followed the first PING is still unanswered');
  assert.ok(w.open);
});

test('an answer settles the marks before it too; other PONGs are not the window\'s', () => {
  const w = new SendWindow({ size: 100, markEvery: 10 });
  for (let i = 0; i < 3; i++) w.wrote('x'.repeat(10));
  assert.equal(w.answer('rg-7'), false, 'a barrier token');
  assert.equal(w.answer('rg-w-2'), true);
  assert.ok(w.unanswered > 0);
  assert.equal(w.answer('rg-w-3'), true);
  assert.equal(w.unanswered, 0);
  assert.equal(w.answer('rg-w-3'), true, 'a late duplicate changes nothing');
  assert.equal(w.unanswered, 0);
});

test('bytes are counted as UTF-8, and a new connection starts empty', () => {
  const w = new SendWindow({ size: 1000, markEvery: 500 });
  w.wrote('é'.repeat(10));
  assert.equal(w.unanswered, 22);
  w.reset();
  assert.equal(w.unanswered, 0);
  assert.equal(w.wrote('x'.repeat(498)), 'PING :rg-w-1', 'marks count again from the new connection');
});

test("the default stays under one of InspIRCd's default 10,240-byte reads, with room for a 512-byte line and its mark", () => {
  assert.ok(SEND_WINDOW.size + 512 + 'PING :rg-w-1000000\r\n'.length < 10_240);
  assert.throws(() => new SendWindow({ size: 10, markEvery: 10 }), /markEvery/);
});
