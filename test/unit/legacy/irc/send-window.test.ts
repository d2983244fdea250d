import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEND_WINDOW, SendWindow } from '../../../../src/legacy/irc/send-window.ts';

test('a PING follows every markEvery bytes; the window closes at size bytes unanswered', () => {
  const w = new SendWindow({ size: 100, markEvery: 40, answerWithinMs: 60_000 });
  const line = 'x'.repeat(18); // 20 bytes with CRLF
  assert.equal(w.wrote(line), null);
  assert.equal(w.wrote(line), 'PING :rg-w-1', '40 bytes: marked');
  assert.equal(w.unanswered, 40 + 'PING :rg-w-1\r\n'.length);
  assert.ok(w.ready());
  assert.equal(w.wrote(line), null);
  assert.equal(w.wrote(line), 'PING :rg-w-2');
  assert.ok(!w.ready(), `${w.unanswered} bytes unanswered`);
  assert.equal(w.answer('rg-w-1'), true);
  assert.equal(w.unanswered, 54, 'what followed the first PING is still unanswered');
  assert.ok(w.ready());
});

test('an answer settles the marks before it too; other PONGs are not the window\'s', () => {
  const w = new SendWindow({ size: 100, markEvery: 10, answerWithinMs: 60_000 });
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
  const w = new SendWindow({ size: 1000, markEvery: 500, answerWithinMs: 60_000 });
  w.wrote('é'.repeat(10));
  assert.equal(w.unanswered, 22);
  w.reset();
  assert.equal(w.unanswered, 0);
  assert.equal(w.wrote('x'.repeat(498)), 'PING :rg-w-1', 'marks count again from the new connection');
});

test("the default stays under one of InspIRCd's default 10,240-byte reads, with room for a 512-byte line and its mark", () => {
  assert.ok(SEND_WINDOW.size + 512 + 'PING :rg-w-1000000\r\n'.length < 10_240);
  assert.throws(() => new SendWindow({ size: 10, markEvery: 10, answerWithinMs: 1 }), /markEvery/);
});

test('a closed window the server does not answer opens after answerWithinMs, and says whether it is the first time', async () => {
  const gaveUp: [number, boolean][] = [];
  const w = new SendWindow({ size: 100, markEvery: 40, answerWithinMs: 20 }, (unanswered, first) => gaveUp.push([unanswered, first]));
  const fill = () => { while (w.ready()) w.wrote('x'.repeat(48)); };
  fill();
  assert.equal(gaveUp.length, 0);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(gaveUp.length, 1);
  assert.ok(gaveUp[0]![0] >= 100 && gaveUp[0]![1], 'the bytes unanswered, the first time');
  assert.ok(w.ready(), 'open: everything counts as answered');
  fill();
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(gaveUp.map(([, first]) => first), [true, false]);
  fill();
  assert.equal(w.answer('rg-w-1000'), true, 'an answer (even a late one) stops the wait');
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(gaveUp.length, 2);
  w.reset();
});
