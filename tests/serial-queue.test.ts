/** The per-socket queue keeps going after a task fails (issue 8, point 5). */
import { SerialQueue } from '../src/realtime/serial-queue';

test('a throwing or rejecting task is reported and the tasks behind it still run, in order', async () => {
  const errors: unknown[] = [];
  const queue = new SerialQueue(10, (err) => errors.push(err));
  const ran: string[] = [];
  queue.push(async () => {
    ran.push('first');
  });
  queue.push(async () => {
    throw new Error('boom');
  });
  queue.push(() => Promise.reject(new Error('rejected')));
  queue.pushAlways(async () => {
    ran.push('bookkeeping');
  });
  await queue.idle();
  expect(ran).toEqual(['first', 'bookkeeping']);
  expect(errors.map((e) => (e as Error).message)).toEqual(['boom', 'rejected']);
  // Its count of waiting tasks recovered too: it accepts `limit` new tasks again.
  for (let i = 0; i < 10; i++) expect(queue.push(async () => undefined)).toBe(true);
  expect(queue.push(async () => undefined)).toBe(false);
  await queue.idle();
});

test('a failing error reporter does not stop the queue either', async () => {
  const queue = new SerialQueue(5, () => {
    throw new Error('reporter broke');
  });
  let ran = false;
  queue.push(() => Promise.reject(new Error('task broke')));
  queue.push(async () => {
    ran = true;
  });
  await queue.idle();
  expect(ran).toBe(true);
});

test('a pipelined task starts once the task before it releases; any other task waits for all before it to finish', async () => {
  const queue = new SerialQueue(10, (err) => {
    throw err;
  });
  const events: string[] = [];
  let finishFirst!: () => void;
  const firstFinishes = new Promise<void>((resolve) => (finishFirst = resolve));
  let secondStarted!: () => void;
  const secondStarts = new Promise<void>((resolve) => (secondStarted = resolve));
  queue.push(async (release) => {
    events.push('first started');
    release();
    await firstFinishes;
    events.push('first finished');
  });
  queue.push(
    async () => {
      events.push('second started');
      secondStarted();
    },
    { pipelined: true },
  );
  queue.push(async () => {
    events.push('third started');
  });
  await secondStarts;
  expect(events).toEqual(['first started', 'second started']);
  finishFirst();
  await queue.idle();
  expect(events).toEqual(['first started', 'second started', 'first finished', 'third started']);
});
