/**
 * src/http/memory-budget.ts: grants in arrival order while they fit, work
 * bigger than the whole budget alone, aborted waiters leave the queue, and
 * releases are idempotent.
 */
import test from 'ava';
import { MemoryBudget, type Release } from '../../src/http/memory-budget.js';

/** Which of the acquisitions have been granted so far (after pending callbacks ran). */
async function granted(promises: ReadonlyArray<Promise<Release>>): Promise<boolean[]> {
  const states = promises.map(() => false);
  promises.forEach((p, i) => void p.then(() => (states[i] = true), () => undefined));
  await new Promise((resolve) => setImmediate(resolve));
  return states;
}

test('budget: grants while the bytes fit, the rest wait in arrival order', async (t) => {
  const budget = new MemoryBudget(100);
  const a = budget.acquire(60);
  const b = budget.acquire(30);
  const c = budget.acquire(20);
  const d = budget.acquire(5);
  // d would fit, but c came first: no overtaking (big work is not starved by small work).
  t.deepEqual(await granted([a, b, c, d]), [true, true, false, false]);
  t.is(budget.granted, 90);
  t.is(budget.waiting, 2);
  (await a)();
  t.deepEqual(await granted([c, d]), [true, true]);
  t.is(budget.granted, 55);
});

test('budget: work bigger than the whole budget runs alone, after what runs', async (t) => {
  const budget = new MemoryBudget(100);
  const small = await budget.acquire(10);
  const huge = budget.acquire(500);
  const after = budget.acquire(10);
  t.deepEqual(await granted([huge, after]), [false, false]);
  small();
  t.deepEqual(await granted([huge, after]), [true, false]);
  t.is(budget.granted, 500);
  (await huge)();
  t.deepEqual(await granted([after]), [true]);
});

test('budget: a waiter whose signal aborts leaves the queue, and those behind it move up', async (t) => {
  const budget = new MemoryBudget(100);
  const first = await budget.acquire(90);
  const controller = new AbortController();
  const big = budget.acquire(50, controller.signal);
  const small = budget.acquire(5);
  t.is(budget.waiting, 2);
  controller.abort(new Error('gone'));
  await t.throwsAsync(big, { message: 'gone' });
  t.deepEqual(await granted([small]), [true], 'the small one fits beside the first once the big one left');
  t.is(budget.waiting, 0);
  first();
  t.is(budget.granted, 5);
});

test('budget: an aborted signal is refused at once; a release twice gives back once', async (t) => {
  const budget = new MemoryBudget(100);
  await t.throwsAsync(budget.acquire(10, AbortSignal.abort(new Error('already'))), { message: 'already' });
  t.is(budget.waiting, 0);
  const release = await budget.acquire(40);
  release();
  release();
  t.is(budget.granted, 0);
  t.throws(() => new MemoryBudget(0), { instanceOf: RangeError });
});
