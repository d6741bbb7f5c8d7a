/**
 * src/http/enumerate-answers.ts: sharing, the memory budget and abandonment,
 * with an enumerate source whose steps the test completes by hand (the real
 * source, on a real bus, is exercised by test/e2e/enumerate-sharing.test.ts).
 */
import type { Readable } from 'node:stream';
import test from 'ava';
import { type EnumeratePlan, Owners } from '../../src/bmc/enumerate.js';
import { EnumeratedObjects } from '../../src/bmc/enumerated-objects.js';
import { EnumerateAnswers, type EnumerateSource, ESTIMATED_BYTES_PER_OBJECT } from '../../src/http/enumerate-answers.js';
import { MemoryBudget } from '../../src/http/memory-budget.js';

interface Step<T> {
  readonly path: string;
  readonly signal: AbortSignal | undefined;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** An enumerate source that records each step and lets the test finish it. */
class ManualSource implements EnumerateSource {
  readonly plans: Array<Step<EnumeratePlan>> = [];
  readonly fetches: Array<Step<EnumeratedObjects>> = [];

  planEnumerate(objectPath: string, signal?: AbortSignal): Promise<EnumeratePlan> {
    return new Promise((resolve, reject) => this.plans.push({ path: objectPath, signal, resolve, reject }));
  }

  fetchEnumerate(plan: EnumeratePlan, depth: number, signal?: AbortSignal): Promise<EnumeratedObjects> {
    return new Promise((resolve, reject) => this.fetches.push({ path: plan.objectPath, signal, resolve, reject }));
  }

  /** Completes the plan of `path` with `objects` objects. */
  plan(path: string, objects: number): void {
    const step = this.plans.find((p) => p.path === path);
    step?.resolve({ objectPath: path, subtree: {}, owners: new Owners({}), managers: new Map(), objectCount: objects });
  }

  fetch(path: string): void {
    this.fetches.find((f) => f.path === path)?.resolve(new EnumeratedObjects([`${path}/a`], 1));
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Reads an answer stream to its end. */
async function text(answer: Readable | Promise<Readable>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await answer) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

function setup(budgetObjects = 1000) {
  const source = new ManualSource();
  const budget = new MemoryBudget(budgetObjects * ESTIMATED_BYTES_PER_OBJECT);
  return { source, budget, answers: new EnumerateAnswers(source, budget, { stallTimeoutMs: 200 }) };
}

test('identical enumerates in flight share one computation and get the same answer', async (t) => {
  const { source, answers } = setup();
  const clients = [new AbortController(), new AbortController(), new AbortController()];
  const pending = clients.map((c) => answers.answer('/x', c.signal));
  await turn();
  t.is(source.plans.length, 1);
  t.is(answers.inFlight, 1);
  source.plan('/x', 3);
  await turn();
  source.fetch('/x');
  const bodies = await Promise.all(pending.map(text));
  t.is(source.fetches.length, 1);
  for (const body of bodies) t.is(body, '{\n  "data": {\n    "/x/a": {}\n  },\n  "message": "200 OK",\n  "status": "ok"\n}');
  t.is(answers.inFlight, 0);
  // Finished is not in flight: the next request reads the bus afresh (answers are not cached).
  void answers.answer('/x', new AbortController().signal);
  await turn();
  t.is(source.plans.length, 2);
});

test('different paths are different computations', async (t) => {
  const { source, answers } = setup();
  void answers.answer('/x', new AbortController().signal);
  void answers.answer('/y', new AbortController().signal);
  await turn();
  t.deepEqual(source.plans.map((p) => p.path), ['/x', '/y']);
  t.is(answers.inFlight, 2);
});

test('beyond the memory budget, enumerates wait for those in flight', async (t) => {
  const { source, budget, answers } = setup(10);
  const big = answers.answer('/big', new AbortController().signal);
  const next = answers.answer('/next', new AbortController().signal);
  await turn();
  source.plan('/big', 8);
  source.plan('/next', 5);
  await turn();
  t.deepEqual(source.fetches.map((f) => f.path), ['/big'], '8 + 5 objects do not fit a budget of 10');
  t.is(budget.waiting, 1);
  source.fetch('/big');
  const bigAnswer = await big;
  await turn();
  t.deepEqual(source.fetches.map((f) => f.path), ['/big'], 'the budget is held until the answer has been sent');
  await text(bigAnswer);
  await turn();
  t.deepEqual(source.fetches.map((f) => f.path), ['/big', '/next']);
  source.fetch('/next');
  await text(next);
  t.is(budget.granted, 0);
});

test('a client that leaves while its answer is sent gives the budget back', async (t) => {
  const { source, budget, answers } = setup(10);
  const pending = answers.answer('/x', new AbortController().signal);
  await turn();
  source.plan('/x', 8);
  await turn();
  source.fetch('/x');
  const answer = await pending;
  t.is(budget.granted, 8 * ESTIMATED_BYTES_PER_OBJECT);
  answer.destroy();
  await turn();
  t.is(budget.granted, 0);
});

test('an enumerate bigger than the whole budget still runs, alone', async (t) => {
  const { source, answers } = setup(10);
  const huge = answers.answer('/huge', new AbortController().signal);
  await turn();
  source.plan('/huge', 50);
  await turn();
  t.is(source.fetches.length, 1);
  source.fetch('/huge');
  t.regex(await text(huge), /"\/huge\/a"/);
});

test('a client that leaves gives up its share; the computation goes on for the others', async (t) => {
  const { source, answers } = setup();
  const leaving = new AbortController();
  const gone = answers.answer('/x', leaving.signal);
  const staying = answers.answer('/x', new AbortController().signal);
  await turn();
  leaving.abort(new Error('client left'));
  await t.throwsAsync(gone, { message: 'client left' });
  t.false(source.plans[0]?.signal?.aborted, 'still computed for the other client');
  source.plan('/x', 1);
  await turn();
  source.fetch('/x');
  t.regex(await text(staying), /"\/x\/a"/);
});

test('a computation nobody waits for stops, gives back its budget, and the next request starts afresh', async (t) => {
  const { source, budget, answers } = setup();
  const clients = [new AbortController(), new AbortController()];
  const pending = clients.map((c) => answers.answer('/x', c.signal));
  await turn();
  source.plan('/x', 4);
  await turn();
  t.is(budget.granted, 4 * ESTIMATED_BYTES_PER_OBJECT);
  const fetchSignal = source.fetches[0]?.signal;
  for (const client of clients) client.abort(new Error('left'));
  for (const p of pending) await t.throwsAsync(p, { message: 'left' });
  t.true(fetchSignal?.aborted, 'the bus work is told to stop');
  t.is(answers.inFlight, 0);
  // The source stops as told (the real one rejects with the signal's reason).
  source.fetches[0]?.reject(fetchSignal?.reason);
  await turn();
  t.is(budget.granted, 0, 'its place in the budget is given back');
  void answers.answer('/x', new AbortController().signal);
  await turn();
  t.is(source.plans.length, 2, 'a new request is a new computation');
});

test('an enumerate abandoned while it waits for the budget leaves the queue without reading anything', async (t) => {
  const { source, budget, answers } = setup(10);
  const big = answers.answer('/big', new AbortController().signal);
  const client = new AbortController();
  const queued = answers.answer('/queued', client.signal);
  await turn();
  source.plan('/big', 8);
  source.plan('/queued', 5);
  await turn();
  t.is(budget.waiting, 1);
  client.abort(new Error('left'));
  await t.throwsAsync(queued, { message: 'left' });
  await turn();
  t.is(budget.waiting, 0);
  source.fetch('/big');
  await turn();
  t.deepEqual(source.fetches.map((f) => f.path), ['/big']);
  (await big).destroy();
});

test('a failure is every waiter\'s failure', async (t) => {
  const { source, answers } = setup();
  const pending = [1, 2].map(() => answers.answer('/x', new AbortController().signal));
  await turn();
  source.plans[0]?.reject(new Error('mapper down'));
  for (const p of pending) await t.throwsAsync(p, { message: 'mapper down' });
  t.is(answers.inFlight, 0);
});

test('a failed fetch stops the calls still in flight before the budget is given back', async (t) => {
  const { source, budget, answers } = setup();
  const pending = answers.answer('/x', new AbortController().signal);
  await turn();
  source.plan('/x', 4);
  await turn();
  const fetch = source.fetches[0];
  let abortedWhileGranted: number | undefined;
  fetch?.signal?.addEventListener('abort', () => { abortedWhileGranted = budget.granted; });
  // One manager's GetManagedObjects timed out: the source rejects while its other calls go on.
  fetch?.reject(new Error('NoReply'));
  await t.throwsAsync(pending, { message: 'NoReply' });
  t.true(fetch?.signal?.aborted, 'the other calls are told to stop');
  t.is(abortedWhileGranted, 4 * ESTIMATED_BYTES_PER_OBJECT, 'they are stopped before the budget is released');
  t.is(budget.granted, 0);
});

test('a client that takes nothing of its answer loses it after the stall timeout, and the budget is given back', async (t) => {
  const { source, budget, answers } = setup(10);
  const pending = answers.answer('/x', new AbortController().signal);
  await turn();
  source.plan('/x', 8);
  await turn();
  source.fetch('/x');
  const answer = await pending;
  // Never read (a client that stopped reading).
  const failed = new Promise<Error>((resolve) => answer.once('error', resolve));
  t.regex((await failed).message, /took nothing of its answer for 200 ms/);
  await turn();
  t.is(budget.granted, 0);
});
