// `node --test` runs each test file in a child process that reports its results over its
// stdout, a pipe, whose writes are asynchronous on Linux. With --test-force-exit (scripts/
// test.sh) a child exits as soon as its tests are done, and report frames still buffered in
// the pipe were lost: one run here reported the last 10 tests of room.test.ts as never there,
// `fail 0` (nodejs/node#64833). Blocking writes leave nothing buffered at the exit.
// Loaded with --import, so every test child runs it (children inherit the node flags).
const stdout = process.stdout as unknown as { _handle?: { setBlocking?: (blocking: boolean) => void } };
stdout._handle?.setBlocking?.(true);
