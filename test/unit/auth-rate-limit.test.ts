import test from 'ava';
import { CheckQueue, QueueFull } from '../../src/auth/check-queue.js';
import { FailureWindow, LoginThrottle } from '../../src/auth/rate-limit.js';

function clock() {
  let now = 5_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('window: counts failures inside the window; retryAfterMs names when the oldest that matters leaves', (t) => {
  const { now, advance } = clock();
  const window = new FailureWindow({ keep: 3, windowMs: 10_000, now });
  t.is(window.count('a'), 0);
  t.is(window.retryAfterMs('a', 2), 0);
  window.record('a');
  advance(1000);
  window.record('a');
  t.is(window.count('a'), 2);
  t.is(window.retryAfterMs('a', 2), 9000);
  t.is(window.retryAfterMs('a', 3), 0);
  advance(9000);
  t.is(window.count('a'), 1, 'the first failure left the window');
  t.is(window.retryAfterMs('a', 2), 0);
  for (let i = 0; i < 10; i++) window.record('a');
  t.is(window.count('a'), 3, 'only `keep` failures are remembered');
});

test('window: memory stays bounded with many keys', (t) => {
  const window = new FailureWindow({ keep: 5, windowMs: 60_000, maxKeys: 100 });
  for (let i = 0; i < 1000; i++) window.record(`10.0.${Math.floor(i / 250)}.${i % 250}`);
  t.true(window.size <= 100);
});

const options = { perUser: 3, perAddress: 5, windowMs: 60_000, maxDelayMs: 10_000 };

test('throttle: an address is refused after perAddress failures, with the seconds to wait; other addresses are not', (t) => {
  const { now, advance } = clock();
  const throttle = new LoginThrottle({ ...options, now });
  for (let i = 0; i < 4; i++) throttle.failed(`user${i}`, '10.0.0.1');
  t.is(throttle.addressRetryAfterSeconds('10.0.0.1'), 0, 'four failures: still allowed');
  throttle.failed('user4', '10.0.0.1');
  t.is(throttle.addressRetryAfterSeconds('10.0.0.1'), 60);
  t.is(throttle.addressRetryAfterSeconds('10.0.0.2'), 0);
  t.is(throttle.addressFailures('10.0.0.1'), 5);
  advance(30_500);
  t.is(throttle.addressRetryAfterSeconds('10.0.0.1'), 30);
  advance(30_000);
  t.is(throttle.addressRetryAfterSeconds('10.0.0.1'), 0, 'the window passed');
});

test('throttle: a user is never refused; past perUser failures the delay doubles from 1 s up to the cap', (t) => {
  const { now, advance } = clock();
  const throttle = new LoginThrottle({ ...options, now });
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    delays.push(throttle.userDelayMs('root'));
    throttle.failed('root', `10.0.${i}.1`);
  }
  t.deepEqual(delays, [0, 0, 0, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  t.is(throttle.userDelayMs('operator'), 0, 'another user is not slowed');
  advance(60_001);
  t.is(throttle.userDelayMs('root'), 0, 'the failures left the window');
  for (let i = 0; i < 100; i++) throttle.failed('root', '10.9.9.9');
  t.is(throttle.userDelayMs('root'), 10_000, 'capped however many failures');
});

test('throttle: a cap of 0 means no delay at all', (t) => {
  const throttle = new LoginThrottle({ ...options, maxDelayMs: 0 });
  for (let i = 0; i < 20; i++) throttle.failed('root', '10.0.0.1');
  t.is(throttle.userDelayMs('root'), 0);
});

test('throttle: bad options are refused', (t) => {
  t.throws(() => new LoginThrottle({ ...options, perUser: 0 }), { instanceOf: RangeError });
  t.throws(() => new LoginThrottle({ ...options, perAddress: 0 }), { instanceOf: RangeError });
  t.throws(() => new FailureWindow({ keep: 1, windowMs: 0 }), { instanceOf: RangeError });
});

/** A task that resolves when told to. */
function gate<T>(value: T): { task: () => Promise<T>; open: () => void; started: () => boolean } {
  let open!: () => void;
  let started = false;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { task: async () => { started = true; await opened; return value; }, open: () => open(), started: () => started };
}

test('check queue: runs `concurrency` at once, queues the rest, and every queued task runs', async (t) => {
  const queue = new CheckQueue(2, 10);
  const gates = Array.from({ length: 5 }, (_, i) => gate(i));
  const results = gates.map((g) => queue.run(() => 0, g.task));
  await Promise.resolve();
  t.deepEqual(gates.map((g) => g.started()), [true, true, false, false, false]);
  t.is(queue.running, 2);
  t.is(queue.waiting, 3);
  for (const g of gates) g.open();
  t.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4]);
  t.is(queue.running, 0);
  t.is(queue.waiting, 0);
});

test('check queue: the lowest priority value goes next, ties in arrival order', async (t) => {
  const queue = new CheckQueue(1, 10);
  const order: string[] = [];
  const first = gate('first');
  const running = queue.run(() => 0, first.task);
  const failures: Record<string, number> = { guesser: 5, admin: 0, other: 5 };
  const queued = ['guesser', 'other', 'admin'].map((who) => queue.run(() => failures[who] ?? 0, async () => {
    order.push(who);
    return who;
  }));
  first.open();
  await Promise.all([running, ...queued]);
  t.deepEqual(order, ['admin', 'guesser', 'other']);
});

test('check queue: beyond maxWaiting, QueueFull; a failing task frees its slot', async (t) => {
  const queue = new CheckQueue(1, 1);
  const blocker = gate('x');
  const running = queue.run(() => 0, blocker.task);
  const waiting = queue.run(() => 0, () => Promise.reject(new Error('backend broken')));
  await t.throwsAsync(queue.run(() => 0, blocker.task), { instanceOf: QueueFull });
  blocker.open();
  await running;
  await t.throwsAsync(waiting, { message: 'backend broken' });
  t.is(await queue.run(() => 0, () => Promise.resolve('after')), 'after');
  t.is(queue.running, 0);
});

/**
 * The full queue and clients that leave. Each row: a queue of concurrency 1 and `maxWaiting`, one
 * check holding the slot, then `steps` in order: `+name:priority` queues a check (priority = the
 * address's failures), `-name` aborts its signal (the client closed the connection). Then the slot
 * frees and everything runs: `ran` is the order checks ran in, `full` who got QueueFull (evicted
 * or refused on arrival), `aborted` who was rejected with the abort reason (both in any order).
 */
const QUEUE_CASES: ReadonlyArray<{ name: string; maxWaiting: number; steps: readonly string[]; ran: string[]; full: string[]; aborted: string[] }> = [
  { name: 'full of equals: the newcomer is refused', maxWaiting: 2, steps: ['+g1:5', '+g2:5', '+g3:5'],
    ran: ['g1', 'g2'], full: ['g3'], aborted: [] },
  { name: 'full of guessers: a clean address evicts the latest worst one', maxWaiting: 2, steps: ['+g1:5', '+g2:5', '+admin:0'],
    ran: ['admin', 'g1'], full: ['g2'], aborted: [] },
  { name: 'the worst is evicted, not the latest', maxWaiting: 3, steps: ['+g1:9', '+g2:3', '+g3:4', '+admin:0'],
    ran: ['admin', 'g2', 'g3'], full: ['g1'], aborted: [] },
  { name: 'a newcomer no better than the worst is refused', maxWaiting: 2, steps: ['+a:1', '+b:3', '+c:3'],
    ran: ['a', 'b'], full: ['c'], aborted: [] },
  { name: 'a better newcomer evicts; a worse one after it is refused', maxWaiting: 2, steps: ['+a:1', '+b:3', '+c:2', '+d:4'],
    ran: ['a', 'c'], full: ['b', 'd'], aborted: [] },
  { name: 'closed connections leave: their places are free for the next ones', maxWaiting: 2, steps: ['+g1:5', '+g2:5', '-g1', '-g2', '+x:5', '+y:5'],
    ran: ['x', 'y'], full: [], aborted: ['g1', 'g2'] },
  { name: 'an aborted check never runs, the others in their order', maxWaiting: 4, steps: ['+a:2', '+b:0', '+c:1', '-b'],
    ran: ['c', 'a'], full: [], aborted: ['b'] },
  { name: 'nothing waits with maxWaiting 0, whatever the priority', maxWaiting: 0, steps: ['+admin:0'],
    ran: [], full: ['admin'], aborted: [] },
];

for (const row of QUEUE_CASES) {
  test(`check queue, full or left: ${row.name}`, async (t) => {
    const queue = new CheckQueue(1, row.maxWaiting);
    const holder = gate('holder');
    const holding = queue.run(() => 0, holder.task);
    const ran: string[] = [];
    const full: string[] = [];
    const aborted: string[] = [];
    const controllers = new Map<string, AbortController>();
    const outcomes: Array<Promise<void>> = [];
    for (const step of row.steps) {
      const name = step.slice(1).split(':')[0] ?? '';
      if (step.startsWith('-')) {
        controllers.get(name)?.abort(new Error(`${name} left`));
        continue;
      }
      const priority = Number(step.split(':')[1]);
      const controller = new AbortController();
      controllers.set(name, controller);
      outcomes.push(queue.run(() => priority, async () => void ran.push(name), controller.signal).then(() => {}, (err: unknown) => {
        if (err instanceof QueueFull) full.push(name);
        else if (err instanceof Error && err.message === `${name} left`) aborted.push(name);
        else throw err;
      }));
    }
    holder.open();
    await holding;
    await Promise.all(outcomes);
    t.deepEqual(ran, row.ran, 'ran');
    t.deepEqual(full.sort(), [...row.full].sort(), 'QueueFull');
    t.deepEqual(aborted.sort(), [...row.aborted].sort(), 'aborted');
    t.is(queue.running, 0);
    t.is(queue.waiting, 0);
  });
}

test('check queue: an aborted signal is refused before queueing; a started task runs to its end whatever the signal', async (t) => {
  const queue = new CheckQueue(1, 1);
  await t.throwsAsync(queue.run(() => 0, () => Promise.resolve('x'), AbortSignal.abort(new Error('gone'))), { message: 'gone' });
  const controller = new AbortController();
  const started = gate('started');
  const running = queue.run(() => 0, started.task, controller.signal);
  controller.abort(new Error('gone'));
  started.open();
  t.is(await running, 'started');
  t.is(queue.running, 0);
});
