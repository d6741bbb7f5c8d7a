/**
 * Jobs end to end: `Prefer: respond-async` on writes and calls, the
 * completion rules on the simulated BMC (host on/off/reboot, dump creation,
 * BMC reboot reported lost, Quiesced and the time limit as errors), the job
 * resources and their owners, locks (409, the race, `Prefer: wait`), a full
 * table (503), and ETags (304, 412). Serial: the tests share the host.
 * Waits poll the job with a bound.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { create as createTar } from 'tar';
import { DEFAULT_COMPLETION_RULES } from '../../src/bmc/jobs/completion-rules.js';
import { matchRulesAtDaemon } from '../helpers/bus-monitor.js';
import { pollUntil } from '../helpers/proc.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import type { HttpClient, Response } from '../helpers/http-client.js';
import { TEST_USERS } from '../helpers/users.js';
import { connectSubscriber } from '../helpers/ws-client.js';

const HOST = '/xyz/openbmc_project/state/host0';
const BMC = '/xyz/openbmc_project/state/bmc0';
const TRANSITION = `${HOST}/attr/RequestedHostTransition`;
const HOST_T = (s: string) => ({ data: `xyz.openbmc_project.State.Host.Transition.${s}` });
const HOST_STATE = (s: string) => `xyz.openbmc_project.State.Host.HostState.${s}`;
const ASYNC = { Prefer: 'respond-async' };
const GROUPS = '/xyz/openbmc_project/led/groups';
/** One step of the simulated BMC's host: a boot is six. */
const TRANSITION_MS = 150;

let h: Harness;
let slow: Harness;
/** The gateway's match rules at the bus daemon before any job. */
let rulesBefore: number;

test.before(async () => {
  // A boot that ends Quiesced; LED groups whose rule never sees its end (time limit 2 s); two jobs at most.
  const rulesFile = join(tmpdir(), `rules-${process.pid}.json`);
  await writeFile(rulesFile, JSON.stringify([...DEFAULT_COMPLETION_RULES, {
    name: 'never', interface: 'xyz.openbmc_project.Led.Group', property: 'Asserted',
    watch: { interface: 'xyz.openbmc_project.Led.Group', property: 'Asserted' }, done: ['never'], timeoutSeconds: 2,
  }]));
  [h, slow] = await Promise.all([
    // Transitions slow enough that a job is still running when the next request comes, also on a loaded machine.
    startHarness({ sim: { transitionMs: TRANSITION_MS } }),
    startHarness({ sim: { hostBootQuiesces: true }, flags: ['--completion-rules-file', rulesFile, '--max-jobs', '2'] }),
  ]);
  rulesBefore = await matchRulesAtDaemon(h.gateway.bus);
});

test.after.always(async () => {
  await Promise.all([h?.close(), slow?.close()]);
});

async function finished(client: HttpClient, uri: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 400; i++) {
    const res = await client.get(uri);
    const job = (res.json as { data: Record<string, unknown> }).data;
    if (['complete', 'error', 'cancelled'].includes(job.state as string)) return job;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${uri} did not end`);
}

async function hostState(client: HttpClient): Promise<string> {
  return ((await client.get(`${HOST}/attr/CurrentHostState`)).json as { data: string }).data;
}

function accepted(t: { is: (a: unknown, b: unknown, m?: string) => void }, res: Response): string {
  t.is(res.status, 202, res.text);
  const body = res.json as { data: { id: string; uri: string; state: string }; message: string; status: string };
  t.is(body.message, '202 Accepted');
  t.is(body.status, 'ok');
  t.is(body.data.uri, `/jobs/${body.data.id}`);
  t.is(res.headers.location, body.data.uri);
  t.is(res.headers['preference-applied'], 'respond-async');
  return body.data.uri;
}

test.serial('without Prefer nothing changes: a write answers 200 at once', async (t) => {
  const res = await h.client.request('PUT', TRANSITION, { body: HOST_T('Off') });
  t.is(res.status, 200);
  t.is(res.headers.location, undefined);
  t.deepEqual(res.json, { data: null, message: '200 OK', status: 'ok' });
  // A malformed Prefer is ignored (RFC 7240): still synchronous.
  const odd = await h.client.request('PUT', TRANSITION, { body: HOST_T('Off'), headers: { Prefer: 'respond-async=yes, wait=soon, ;;' } });
  t.is(odd.status, 200);
  t.is(odd.headers['preference-applied'], undefined);
  await finished(h.client, accepted(t, await h.client.request('PUT', TRANSITION, { body: HOST_T('Off'), headers: ASYNC })));
});

test.serial('host power on as a job: 202, then complete when the host is Running, with the synchronous envelope', async (t) => {
  const uri = accepted(t, await h.client.request('PUT', TRANSITION, { body: HOST_T('On'), headers: ASYNC }));
  const running = (await h.client.get(uri)).json as { data: Record<string, unknown> };
  t.is(running.data.state, 'running');
  t.is(running.data.rule, 'host-on');
  t.is(running.data.ended, null);
  const job = await finished(h.client, uri);
  t.is(job.state, 'complete', JSON.stringify(job));
  t.is(await hostState(h.client), HOST_STATE('Running'));
  t.deepEqual(job.result, { data: null, message: '200 OK', status: 'ok' });
  t.is(job.percent, 100);
  t.is(job.msg, null);
  t.is(job.owner, 'root');
  t.deepEqual(job.request, { members: ['xyz.openbmc_project.State.Host.RequestedHostTransition'], objectPath: HOST, path: TRANSITION, verb: 'PUT' });
  t.true(Date.parse(job.started as string) <= Date.parse(job.ended as string));
});

test.serial('a reboot completes only after the host went through Off and is Running again', async (t) => {
  const uri = accepted(t, await h.client.request('PUT', TRANSITION, { body: HOST_T('Reboot'), headers: ASYNC }));
  const job = await finished(h.client, uri);
  t.is(job.state, 'complete');
  t.is(job.rule, 'host-reboot');
  t.is(await hostState(h.client), HOST_STATE('Running'));
  const list = (await h.client.get('/jobs')).json as { data: Array<{ uri: string }> };
  t.true(list.data.some((j) => j.uri === uri));
});

test.serial('locks: of two racing power-ons one gets the job, one a 409 naming it; the chassis is held too; reads never wait; Prefer: wait waits', async (t) => {
  await finished(h.client, accepted(t, await h.client.request('PUT', TRANSITION, { body: HOST_T('Off'), headers: ASYNC })));
  const [a, b] = await Promise.all([
    h.client.request('PUT', TRANSITION, { body: HOST_T('On'), headers: ASYNC }),
    h.client.request('PUT', TRANSITION, { body: HOST_T('On'), headers: ASYNC }),
  ]);
  const [won, lost] = a.status === 202 ? [a, b] : [b, a];
  const uri = accepted(t, won);
  t.is(lost.status, 409, lost.text);
  t.regex((lost.json as { data: { description: string } }).data.description, new RegExp(`job ${uri}`));
  t.is((lost.json as { message: string }).message, '409 Conflict');
  t.is(lost.headers.link, `<${uri}>; rel="related"`);
  t.is(lost.headers['content-location'], undefined);
  // The boot takes six steps of the simulated BMC (TRANSITION_MS each): the job still runs.
  const chassis = await h.client.request('PUT', '/xyz/openbmc_project/state/chassis0/attr/RequestedPowerTransition',
    { body: { data: 'xyz.openbmc_project.State.Chassis.Transition.Off' } });
  t.is(chassis.status, 409);
  t.is((await h.client.get(HOST)).status, 200);
  const waited = await h.client.request('PUT', TRANSITION, { body: HOST_T('Off'), headers: { Prefer: 'wait=30' } });
  t.is(waited.status, 200, waited.text);
  t.is(waited.headers['preference-applied'], 'wait=30');
  // The wait ended with the job: the power-on was complete before the power-off was written.
  t.is(((await h.client.get(uri)).json as { data: { state: string } }).data.state, 'complete');
  await pollUntil(() => hostState(h.client), (state) => state === HOST_STATE('Off'), 10_000);
  t.is(await hostState(h.client), HOST_STATE('Off'));
});

test.serial('a queued job can be cancelled; a running one cannot; a finished one is forgotten', async (t) => {
  const first = accepted(t, await h.client.request('PUT', TRANSITION, { body: HOST_T('On'), headers: ASYNC }));
  const queuedRes = await h.client.request('PUT', TRANSITION, { body: HOST_T('Off'), headers: { Prefer: 'respond-async, wait=60' } });
  t.is(queuedRes.status, 202);
  t.is(queuedRes.headers['preference-applied'], 'respond-async, wait=60');
  const queued = (queuedRes.json as { data: { uri: string; state: string } }).data;
  t.is(queued.state, 'queued');
  const running = await h.client.request('DELETE', first);
  t.is(running.status, 409);
  const cancel = await h.client.request('DELETE', queued.uri);
  t.is(cancel.status, 200, cancel.text);
  t.is((await finished(h.client, queued.uri)).state, 'cancelled');
  t.is((await finished(h.client, first)).state, 'complete');
  // The cancelled job never ran: the host stays on.
  t.is(await hostState(h.client), HOST_STATE('Running'));
  t.is((await h.client.request('DELETE', first)).status, 200);
  const gone = await h.client.get(first);
  t.is(gone.status, 404);
  t.is((await h.client.get('/jobs/nonesuch')).status, 404);
});

test.serial('queued jobs on one object run one after another, never together', async (t) => {
  const first = accepted(t, await h.client.request('PUT', TRANSITION, { body: HOST_T('Off'), headers: ASYNC }));
  const queued = await Promise.all(['On', 'Off'].map(async (to) => {
    const res = await h.client.request('PUT', TRANSITION, { body: HOST_T(to), headers: { Prefer: 'respond-async, wait=60' } });
    t.is(res.status, 202, res.text);
    return (res.json as { data: { uri: string } }).data.uri;
  }));
  const jobs = await Promise.all([first, ...queued].map((uri) => finished(h.client, uri)));
  t.true(jobs.every((job) => job.state === 'complete'), JSON.stringify(jobs.map((job) => job.state)));
  const spans = jobs.map((job) => [Date.parse(job.started as string), Date.parse(job.ended as string)] as const).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) t.true(spans[i]![0] >= spans[i - 1]![1], `job ${i} started before job ${i - 1} ended`);
});

test.serial('jobs are owned: the owner and administrators see them, others get 404; authorisation at submission', async (t) => {
  const operator = h.clientAs(TEST_USERS.operator);
  const readonly = h.clientAs(TEST_USERS.readonly);
  const uri = accepted(t, await operator.request('PUT', TRANSITION, { body: HOST_T('Off'), headers: ASYNC }));
  t.is((await readonly.get(uri)).status, 404);
  t.is((await readonly.request('DELETE', uri)).status, 404);
  t.deepEqual(((await readonly.get('/jobs')).json as { data: unknown[] }).data.filter((j) => (j as { uri: string }).uri === uri), []);
  t.is((await h.client.get(uri)).status, 200);
  const own = (await operator.get('/jobs')).json as { data: Array<{ owner: string }> };
  t.true(own.data.length > 0 && own.data.every((j) => j.owner === 'operator'));
  t.is((await finished(operator, uri)).state, 'complete');
  // A user who may not write gets the 403 at once, and no job.
  const before = ((await h.client.get('/jobs')).json as { data: unknown[] }).data.length;
  const refused = await readonly.request('PUT', TRANSITION, { body: HOST_T('On'), headers: ASYNC });
  t.is(refused.status, 403);
  t.is(((await h.client.get('/jobs')).json as { data: unknown[] }).data.length, before);
  // Bad input is answered at once too (400), not as a failed job.
  t.is((await h.client.request('PUT', TRANSITION, { body: { data: [7] }, headers: ASYNC })).status, 400);
  t.is(await hostState(h.client), HOST_STATE('Off'));
});

test.serial('accounts and secrets never become jobs: respond-async is not applied, the answer is synchronous', async (t) => {
  const res = await h.client.request('PUT', '/xyz/openbmc_project/user/operator/attr/UserEnabled', { body: { data: true }, headers: ASYNC });
  t.is(res.status, 200, res.text);
  t.is(res.headers['preference-applied'], undefined);
  t.is(res.headers.location, undefined);
});

test.serial('dump creation: the job follows the returned entry until Completed; its result is the entry path', async (t) => {
  const uri = accepted(t, await h.client.request('POST', '/xyz/openbmc_project/dump/bmc/action/CreateDump', { body: { data: [{}] }, headers: ASYNC }));
  const job = await finished(h.client, uri);
  t.is(job.state, 'complete', JSON.stringify(job));
  t.is(job.rule, 'dump-creation');
  const entry = (job.result as { data: string }).data;
  t.regex(entry, /^\/xyz\/openbmc_project\/dump\/bmc\/entry\/[0-9]+$/);
  t.is(((await h.client.get(`${entry}/attr/Status`)).json as { data: string }).data, 'xyz.openbmc_project.Common.Progress.OperationStatus.Completed');
});

test.serial('a BMC reboot job is reported lost', async (t) => {
  const uri = accepted(t, await h.client.request('PUT', `${BMC}/attr/RequestedBMCTransition`,
    { body: { data: 'xyz.openbmc_project.State.BMC.Transition.Reboot' }, headers: ASYNC }));
  const job = await finished(h.client, uri);
  t.is(job.state, 'error');
  t.regex(job.msg as string, /^lost: /);
  t.deepEqual(job.result, { data: null, message: '200 OK', status: 'ok' });
});

test.serial('a failed call ends the job as an error with the synchronous error envelope', async (t) => {
  const uri = accepted(t, await h.client.request('POST', '/xyz/openbmc_project/test/echo/action/Fail',
    { body: { data: ['xyz.openbmc_project.Common.Error.InternalFailure', 'it broke'] }, headers: ASYNC }));
  const job = await finished(h.client, uri);
  t.is(job.state, 'error');
  t.is((job.result as { status: string }).status, 'error');
  t.is(job.msg, (job.result as { data: { description: string } }).data.description);
});

test.serial('Quiesced ends a power-on job as an error', async (t) => {
  const uri = accepted(t, await slow.client.request('PUT', TRANSITION, { body: HOST_T('On'), headers: ASYNC }));
  const job = await finished(slow.client, uri);
  t.is(job.state, 'error');
  t.is(job.msg, `CurrentHostState became ${HOST_STATE('Quiesced')}`);
});

test.serial('a rule\'s time limit ends the job as an error; a table of unfinished jobs answers 503 with Retry-After', async (t) => {
  const [a, b] = await Promise.all(['enclosure_identify', 'enclosure_fault'].map((group) =>
    slow.client.request('PUT', `${GROUPS}/${group}/attr/Asserted`, { body: { data: true }, headers: ASYNC })));
  const uriA = accepted(t, a!);
  accepted(t, b!);
  const full = await slow.client.request('PUT', `${GROUPS}/power_on/attr/Asserted`, { body: { data: true }, headers: ASYNC });
  t.is(full.status, 503);
  t.truthy(full.headers['retry-after']);
  const job = await finished(slow.client, uriA);
  t.is(job.state, 'error');
  t.regex(job.msg as string, /^time limit of 2 s passed before Asserted became never/);
  // Finished jobs make room.
  accepted(t, await slow.client.request('PUT', `${GROUPS}/power_on/attr/Asserted`, { body: { data: false }, headers: ASYNC }));
});

test.serial('ETag on objects and attributes; If-None-Match answers 304; If-Match that no longer matches answers 412 before writing', async (t) => {
  const path = `${GROUPS}/enclosure_identify`;
  const first = await h.client.get(path);
  const tag = first.headers.etag as string;
  t.regex(tag, /^"[A-Za-z0-9_-]+"$/);
  const again = await h.client.get(path, { headers: { 'If-None-Match': tag } });
  t.is(again.status, 304);
  t.is(again.text, '');
  const attr = await h.client.get(`${path}/attr/Asserted`);
  t.truthy(attr.headers.etag);
  t.not(attr.headers.etag, tag);
  const ok = await h.client.request('PUT', `${path}/attr/Asserted`, { body: { data: true }, headers: { 'If-Match': attr.headers.etag as string } });
  t.is(ok.status, 200, ok.text);
  // The value changed: the old tag no longer matches, and nothing is written.
  const stale = await h.client.request('PATCH', path, { body: { data: { Asserted: false } }, headers: { 'If-Match': tag } });
  t.is(stale.status, 412, stale.text);
  t.is(((await h.client.get(`${path}/attr/Asserted`)).json as { data: boolean }).data, true);
  t.not((await h.client.get(path, { headers: { 'If-None-Match': tag } })).status, 304);
  const any = await h.client.request('PUT', `${path}/attr/Asserted`, { body: { data: false }, headers: { 'If-Match': '*' } });
  t.is(any.status, 200);
});

test.serial('If-Match comes after the authorisation: a caller who may not write the property gets 403, never a 412 with its ETag', async (t) => {
  // Operators may write RequestedHostTransition on host0, not RetryAttempts (a per-property policy decision).
  const operator = h.clientAs(TEST_USERS.operator);
  const attr = await operator.request('PUT', `${HOST}/attr/RetryAttempts`, { body: { data: 1 }, headers: { 'If-Match': '"x"' } });
  t.is(attr.status, 403, attr.text);
  t.is(attr.headers.etag, undefined);
  const patch = await operator.request('PATCH', HOST, { body: { data: { RetryAttempts: 1 } }, headers: { 'If-Match': '"x"' } });
  t.is(patch.status, 403, patch.text);
  t.is(patch.headers.etag, undefined);
  // What it may write still gets the 412.
  const allowed = await operator.request('PUT', TRANSITION, { body: HOST_T('Off'), headers: { 'If-Match': '"x"' } });
  t.is(allowed.status, 412, allowed.text);
});

test.serial('/subscribe with events ["JobChanged"]: a job\'s changes are pushed to its owner and administrators, nobody else', async (t) => {
  const auth = (user: { user: string; password: string }) => ({ Authorization: `Basic ${Buffer.from(`${user.user}:${user.password}`).toString('base64')}` });
  const open = (user: { user: string; password: string }) => connectSubscriber(h.gateway.url, h.gateway.certificate, { headers: auth(user) });
  const [admin, owner, other] = await Promise.all([open(TEST_USERS.root), open(TEST_USERS.operator), open(TEST_USERS.readonly)]);
  try {
    await admin.setFilter({ events: ['JobChanged'] });
    await owner.setFilter({ events: ['JobChanged'], paths: [HOST] });
    await other.setFilter({ events: ['JobChanged'] });
    const uri = accepted(t, await h.clientAs(TEST_USERS.operator).request('PUT', TRANSITION, { body: HOST_T('On'), headers: ASYNC }));
    for (const subscriber of [admin, owner]) {
      const last = await subscriber.until((m) => m.event === 'JobChanged' && m.job.uri === uri && m.job.state === 'complete');
      t.is(last.path, HOST);
      t.is(last.job.percent, 100);
      t.false('result' in last.job);
      const states = subscriber.messages.filter((m) => m.job?.uri === uri).map((m) => m.job.state);
      t.deepEqual([...new Set(states)], ['queued', 'running', 'complete']);
      // Only job events: no PropertiesChanged of the host's transition.
      t.true(subscriber.messages.every((m) => m.event === 'JobChanged'));
    }
    await other.sync();
    t.deepEqual(other.messages, []);
    // A filter on another path does not see the host's jobs.
    await owner.setFilter({ events: ['JobChanged'], paths: ['/xyz/openbmc_project/state/chassis0'] });
    const before = owner.messages.length;
    await finished(h.client, accepted(t, await h.clientAs(TEST_USERS.operator).request('PUT', TRANSITION, { body: HOST_T('Off'), headers: ASYNC })));
    await owner.sync();
    t.is(owner.messages.length, before);
  } finally {
    await Promise.all([admin.close(), owner.close(), other.close()]);
  }
});

/** A BMC image: a tar with MANIFEST and, unless `empty`, a file to flash. */
async function image(version: string, empty = false): Promise<Buffer> {
  const staging = await mkdtemp(join(tmpdir(), 'jobs-image-'));
  try {
    await writeFile(join(staging, 'MANIFEST'), `purpose=xyz.openbmc_project.Software.Version.VersionPurpose.BMC\nversion=${version}\n`);
    await writeFile(join(staging, 'image-rofs'), Buffer.alloc(1024, 0x5a));
    await createTar({ file: join(staging, 'image.tar'), cwd: staging, portable: true }, empty ? ['MANIFEST'] : ['MANIFEST', 'image-rofs']);
    return await readFile(join(staging, 'image.tar'));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function activate(version: string, empty: boolean): Promise<{ uri: string; events: Array<{ state: string; percent: number | null; eta: number | null }> }> {
  const upload = await h.client.request('POST', '/upload/image', { body: await image(version, empty), headers: { 'content-type': 'application/octet-stream' } });
  if (upload.status !== 200) throw new Error(upload.text);
  const id = (upload.json as { data: string }).data;
  const subscriber = await connectSubscriber(h.gateway.url, h.gateway.certificate,
    { headers: { Authorization: `Basic ${Buffer.from('root:0penBmc').toString('base64')}` } });
  try {
    await subscriber.setFilter({ events: ['JobChanged'], paths: [`/xyz/openbmc_project/software/${id}`] });
    const res = await h.client.request('PUT', `/xyz/openbmc_project/software/${id}/attr/RequestedActivation`,
      { body: { data: 'xyz.openbmc_project.Software.Activation.RequestedActivations.Active' }, headers: ASYNC });
    if (res.status !== 202) throw new Error(res.text);
    const uri = (res.json as { data: { uri: string } }).data.uri;
    await subscriber.until((m) => m.job?.uri === uri && ['complete', 'error'].includes(m.job.state));
    return { uri, events: subscriber.messages.filter((m) => m.job?.uri === uri).map((m) => m.job) };
  } finally {
    await subscriber.close();
  }
}

test.serial('firmware activation: percent from ActivationProgress, eta from its rate, complete when Active', async (t) => {
  const { uri, events } = await activate(`2.99.0-jobs-${process.pid}`, false);
  const percents = events.map((e) => e.percent).filter((p): p is number => p !== null);
  // The events in the message: a job that ended in error (e.g. its write hit the harness's call
  // deadline on an overloaded machine) shows why instead of only an empty list of percents.
  t.deepEqual([...new Set(percents)], [10, 30, 50, 70, 90, 100], JSON.stringify(events));
  t.true(events.some((e) => e.state === 'running' && e.percent === 50 && typeof e.eta === 'number' && e.eta >= 0));
  t.true(events.filter((e) => e.percent === null).every((e) => e.eta === null));
  const job = await finished(h.client, uri);
  t.is(job.state, 'complete');
  t.is(job.rule, 'firmware-activation');
});

test.serial('firmware activation that ends Failed ends the job as an error', async (t) => {
  const { uri } = await activate(`2.99.0-jobs-empty-${process.pid}`, true);
  const job = await finished(h.client, uri);
  t.is(job.state, 'error');
  t.is(job.msg, 'Activation became xyz.openbmc_project.Software.Activation.Activations.Failed');
});

test.serial('a chassis power cycle completes once the power went Off and came back On', async (t) => {
  const CHASSIS = '/xyz/openbmc_project/state/chassis0';
  const uri = accepted(t, await h.client.request('PUT', `${CHASSIS}/attr/RequestedPowerTransition`,
    { body: { data: 'xyz.openbmc_project.State.Chassis.Transition.PowerCycle' }, headers: ASYNC }));
  const job = await finished(h.client, uri);
  t.is(job.state, 'complete');
  t.is(job.rule, 'chassis-power-cycle');
  t.is(((await h.client.get(`${CHASSIS}/attr/CurrentPowerState`)).json as { data: string }).data, 'xyz.openbmc_project.State.Chassis.PowerState.On');
});

test.serial('no match rule outlives its job: the gateway\'s rules at the bus daemon are back where they were', async (t) => {
  const jobs = (await h.client.get('/jobs')).json as { data: Array<{ state: string }> };
  t.true(jobs.data.length > 5 && jobs.data.every((job) => ['complete', 'error', 'cancelled'].includes(job.state)));
  t.is(await matchRulesAtDaemon(h.gateway.bus), rulesBefore);
});
