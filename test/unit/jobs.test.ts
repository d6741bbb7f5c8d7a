/**
 * The pure parts of jobs: the Prefer header, the completion rules (the
 * shipped file, matching, held objects, files that must be rejected) and the
 * job table (bounds, age, owners, locks, eta).
 */
import { readFile } from 'node:fs/promises';
import test from 'ava';
import { touchesSecrets } from '../../src/auth/audit.js';
import { DEFAULT_COMPLETION_RULES, findRule, heldObjects, parseCompletionRules } from '../../src/bmc/jobs/completion-rules.js';
import { JobTable, jobDetail } from '../../src/bmc/jobs/job-table.js';
import { GatewayError } from '../../src/errors.js';
import { parsePrefer } from '../../src/http/prefer.js';

const preferCases: Array<[string | undefined, boolean, number | undefined]> = [
  [undefined, false, undefined],
  ['', false, undefined],
  ['respond-async', true, undefined],
  ['Respond-Async', true, undefined],
  ['respond-async, wait=10', true, 10],
  ['wait=10;foo=bar, respond-async', true, 10],
  ['wait="5"', false, 5],
  ['wait=99999', false, 600],
  // Malformed preferences are ignored, the others still count.
  ['respond-async=yes', false, undefined],
  ['wait=soon, respond-async', true, undefined],
  ['wait=-1', false, undefined],
  ['wait=1.5', false, undefined],
  ['wait', false, undefined],
  [',,;;=, respond-async', true, undefined],
  ['respond async', false, undefined],
];
for (const [header, respondAsync, waitSeconds] of preferCases) {
  test(`Prefer: ${JSON.stringify(header)}`, (t) => {
    t.deepEqual(parsePrefer(header), { respondAsync, waitSeconds });
  });
}

test('config/completion-rules.json is the built-in rules', async (t) => {
  const shipped = JSON.parse(await readFile(new URL('../../../config/completion-rules.json', import.meta.url), 'utf8')) as unknown;
  t.deepEqual(parseCompletionRules(shipped), DEFAULT_COMPLETION_RULES.map((rule) => ({ ...rule })));
});

const HOST = 'xyz.openbmc_project.State.Host';
test('findRule: property writes by value, method calls by name, nothing for the rest', (t) => {
  const rule = (interfaceName: string, member: string, value?: unknown) =>
    findRule(DEFAULT_COMPLETION_RULES, [value === undefined ? { interfaceName, member, args: [] } : { interfaceName, member, value }])?.name;
  t.is(rule(HOST, 'RequestedHostTransition', `${HOST}.Transition.On`), 'host-on');
  t.is(rule(HOST, 'RequestedHostTransition', `${HOST}.Transition.GracefulWarmReboot`), 'host-reboot');
  t.is(rule(HOST, 'RequestedHostTransition', 'On'), undefined);
  t.is(rule(HOST, 'RestartCause', `${HOST}.Transition.On`), undefined);
  t.is(rule('xyz.openbmc_project.Dump.Create', 'CreateDump'), 'dump-creation');
  t.is(rule('xyz.openbmc_project.Logging.Create', 'Create'), undefined);
});

test('heldObjects: {path} and {index}; the object written without a rule', (t) => {
  const hostOn = DEFAULT_COMPLETION_RULES.find((r) => r.name === 'host-on');
  t.deepEqual(heldObjects(hostOn, '/xyz/openbmc_project/state/host1'), ['/xyz/openbmc_project/state/host1', '/xyz/openbmc_project/state/chassis1']);
  t.deepEqual(heldObjects(undefined, '/a/b'), ['/a/b']);
  t.deepEqual(heldObjects({ name: 'x', interface: 'i', property: 'p', lost: 'l', holds: ['{path}', '{path}'] }, '/a'), ['/a']);
});

const badRules: Array<[unknown, RegExp]> = [
  [{}, /expected an array/],
  [[7], /rule 1: expected an object/],
  [[{ name: 'a', interface: 'i', property: 'p', method: 'm', lost: 'x' }], /not both/],
  [[{ name: 'a', interface: 'i', lost: 'x' }], /not both/],
  [[{ name: 'a', interface: 'i', property: 'p' }], /give 'watch' and 'done', or 'lost'/],
  [[{ name: '', interface: 'i', property: 'p', lost: 'x' }], /rule 1\.name/],
  [[{ name: 'a', interface: 'i', property: 'p', lost: 'x', values: [1] }], /rule 1\.values/],
  [[{ name: 'a', interface: 'i', property: 'p', lost: 'x', timeoutSeconds: 0 }], /timeoutSeconds/],
  [[{ name: 'a', interface: 'i', property: 'p', lost: 'x', timeoutSeconds: '5' }], /timeoutSeconds/],
  [[{ name: 'a', interface: 'i', property: 'p', lost: 'x', object: 'other' }], /rule 1\.object/],
  [[{ name: 'a', interface: 'i', property: 'p', watch: { interface: 'i' }, done: ['x'] }], /rule 1\.watch/],
  [[{ name: 'a', interface: 'i', property: 'p', lost: 'x', colour: 'red' }], /unknown field 'colour'/],
  // `watch` needs `done` (at its time limit the job says which values it waited for), and excludes `lost`.
  [[{ name: 'w', interface: 'i', property: 'p', watch: { interface: 'i', property: 'q' } }], /^rule 1 \('w'\): 'watch' requires 'done'/],
  [[{ name: 'w', interface: 'i', property: 'p', watch: { interface: 'i', property: 'q' }, lost: 'x' }], /^rule 1 \('w'\): give 'watch' and 'done', or 'lost', not both$/],
  [[{ name: 'w', interface: 'i', property: 'p', watch: { interface: 'i', property: 'q' }, done: ['d'], lost: 'x' }], /^rule 1 \('w'\): give 'watch' and 'done', or 'lost', not both$/],
  [[{ name: 'w', interface: 'i', property: 'p', watch: { interface: 'i', property: 'q' }, error: ['e'] }], /'watch' requires 'done'/],
  [[{ name: 'd', interface: 'i', property: 'p', done: ['d'] }], /^rule 1 \('d'\): 'done' requires 'watch'$/],
  [[{ name: 'd', interface: 'i', property: 'p', lost: 'x', via: ['v'] }], /^rule 1 \('d'\): 'via' requires 'watch'$/],
  [[{ name: 'ok', interface: 'i', property: 'p', lost: 'x' }, { name: 'w2', interface: 'i', method: 'm', watch: { interface: 'i', property: 'q' } }],
    /^rule 2 \('w2'\): 'watch' requires 'done'/],
];
const goodRules: unknown[] = [
  { name: 'followed', interface: 'i', property: 'p', watch: { interface: 'i', property: 'q' }, done: ['d'] },
  { name: 'full', interface: 'i', method: 'm', object: 'result', watch: { interface: 'i', property: 'q' }, done: ['d'], error: ['e'], via: ['v'],
    progress: { interface: 'i', property: 'r' }, holds: ['{path}'], timeoutSeconds: 5 },
  { name: 'lost', interface: 'i', property: 'p', values: ['v'], lost: 'x', holds: ['{path}'] },
];
for (const rule of goodRules) {
  test(`completion rules: accepts ${JSON.stringify(rule)}`, (t) => {
    t.deepEqual(parseCompletionRules([rule]), [rule]);
  });
}

for (const [json, error] of badRules) {
  test(`completion rules: rejects ${JSON.stringify(json)}`, (t) => {
    t.throws(() => parseCompletionRules(json), { message: error });
  });
}

const request = { verb: 'PUT', path: '/x', objectPath: '/x', members: ['i.m'] };
const admin = { user: 'root', role: 'priv-admin' };
const alice = { user: 'alice', role: 'priv-operator' };
const bob = { user: 'bob', role: 'priv-user' };

test('job table: full of unfinished jobs → 503 with Retry-After; the oldest finished job makes room', (t) => {
  let now = 1000;
  const table = new JobTable({ maxJobs: 2, retentionMs: 60_000 }, () => now);
  const a = table.add('alice', request, undefined, ['/a']);
  const b = table.add('alice', request, undefined, ['/b']);
  const error = t.throws(() => table.add('alice', request, undefined, ['/c']), { instanceOf: GatewayError });
  t.is(error?.status, 503);
  t.truthy(error?.headers['Retry-After']);
  table.start(a);
  table.finish(a, 'complete', { result: null });
  now += 10;
  const c = table.add('alice', request, undefined, ['/c']);
  t.deepEqual(table.list(admin).map((job) => job.id), [b.id, c.id]);
});

test('job table: finished jobs are forgotten after the retention; unfinished ones are kept', (t) => {
  let now = 0;
  const table = new JobTable({ maxJobs: 10, retentionMs: 1000 }, () => now);
  const done = table.add('alice', request, undefined, ['/a']);
  const queued = table.add('alice', request, undefined, ['/b']);
  table.start(done);
  table.finish(done, 'error', { msg: 'x' });
  now = 1001;
  t.deepEqual(table.list(admin).map((job) => job.id), [queued.id]);
});

test('job table: owners and administrators see a job; others get 404', (t) => {
  const table = new JobTable({ maxJobs: 10, retentionMs: 1000 });
  const job = table.add('alice', request, undefined, ['/a']);
  t.is(table.get(job.id, alice), job);
  t.is(table.get(job.id, admin), job);
  t.is(t.throws(() => table.get(job.id, bob), { instanceOf: GatewayError })?.status, 404);
  t.is(t.throws(() => table.get('nonesuch\u0000', alice), { instanceOf: GatewayError })?.description, "No such job: 'nonesuch?'");
  t.deepEqual(table.list(bob), []);
  t.deepEqual(table.list(alice), [job]);
});

test('job table: a running job holds its objects until it ends; waiters are woken', async (t) => {
  const table = new JobTable({ maxJobs: 10, retentionMs: 1000 });
  const job = table.add('alice', request, undefined, ['/a', '/b']);
  t.is(table.holder(['/b']), undefined);
  table.start(job);
  t.is(table.holder(['/x', '/b']), job);
  const woken = table.released(60_000);
  table.finish(job, 'complete', {});
  await woken;
  t.is(table.holder(['/a', '/b']), undefined);
});

test('job table: eta from the progress rate, null before any progress; 100 and 0 when complete', (t) => {
  let now = 0;
  const table = new JobTable({ maxJobs: 10, retentionMs: 1000 }, () => now);
  const job = table.add('alice', request, 'r', ['/a']);
  table.start(job);
  t.is(job.eta, null);
  now = 10_000;
  table.progress(job, 25);
  t.is(job.percent, 25);
  t.is(job.eta, 30);
  table.finish(job, 'complete', { result: null });
  const detail = jobDetail(job) as Record<string, unknown>;
  t.is(detail.percent, 100);
  t.is(detail.eta, 0);
  t.is(detail.state, 'complete');
  t.is(detail.ended, new Date(10_000).toISOString());
});

const secretCases: Array<[string, Parameters<typeof touchesSecrets>[0], boolean]> = [
  ['a host transition', [{ interfaceName: HOST, member: 'RequestedHostTransition', value: 'x' }], false],
  ['a dump', [{ interfaceName: 'xyz.openbmc_project.Dump.Create', member: 'CreateDump', args: [{ name: 'additionalData', value: {} }] }], false],
  ['a user attribute', [{ interfaceName: 'xyz.openbmc_project.User.Attributes', member: 'UserEnabled', value: true }], true],
  ['a one-time code secret', [{ interfaceName: 'xyz.openbmc_project.User.TOTPAuthenticator', member: 'CreateSecretKey', args: [] }], true],
  ['a password property', [{ interfaceName: 'xyz.openbmc_project.Test', member: 'AdminPassword', value: 'x' }], true],
  ['a token argument', [{ interfaceName: 'xyz.openbmc_project.Test', member: 'Store', args: [{ name: 'token', value: 'x' }] }], true],
  ['one secret among others', [{ interfaceName: HOST, member: 'RequestedHostTransition', value: 'x' }, { interfaceName: 'a.b', member: 'Secret', value: 1 }], true],
];
for (const [name, written, secret] of secretCases) {
  test(`touchesSecrets: ${name} → ${secret}`, (t) => {
    t.is(touchesSecrets(written), secret);
  });
}
