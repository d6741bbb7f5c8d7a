/**
 * Writes that wait for a lock (`Prefer: wait=N`, synchronous or queued as a
 * job) are never sent once nobody may send them any more: the client closed
 * its connection, the account was disabled (roles from the simulated user
 * manager over D-Bus), or the session ended. The lock is a job the test
 * starts and ends at will: a rule (this file's) on a physical LED's `State`
 * that holds host0 until the test writes `State` = On. No pause of a guessed
 * length: each test waits for the gateway's log line telling that the write
 * began to wait (or was queued) before it changes anything, and checks that
 * no answer came before the lock was released.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { DEFAULT_COMPLETION_RULES } from '../../src/bmc/jobs/completion-rules.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import type { HttpClient } from '../helpers/http-client.js';
import { pollUntil } from '../helpers/proc.js';
import { tlsNoRequest } from '../helpers/raw-connections.js';
import { TEST_USERS } from '../helpers/users.js';

const HOST = '/xyz/openbmc_project/state/host0';
const TRANSITION = `${HOST}/attr/RequestedHostTransition`;
const HOST_ON = { data: 'xyz.openbmc_project.State.Host.Transition.On' };
const HOST_OFF = 'xyz.openbmc_project.State.Host.Transition.Off';
const LED_STATE = '/xyz/openbmc_project/led/physical/front_id/attr/State';
const PHYSICAL = 'xyz.openbmc_project.Led.Physical';
const ACTION = (s: string) => `${PHYSICAL}.Action.${s}`;
const USER_ENABLED = '/xyz/openbmc_project/user/operator/attr/UserEnabled';
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** The info line of a synchronous write on host0's transition that began to wait for the holding job. */
const WAITS = new RegExp(`write PUT ${escaped(TRANSITION)} waits for job [0-9a-f]+ \\(holds ${escaped(HOST)}\\), up to \\d+ s$`);

let h: Harness;

test.before(async () => {
  const rulesFile = join(tmpdir(), `rules-waiting-${process.pid}.json`);
  await writeFile(rulesFile, JSON.stringify([...DEFAULT_COMPLETION_RULES, {
    name: 'hold-host', interface: PHYSICAL, property: 'State', values: [ACTION('Blink')],
    watch: { interface: PHYSICAL, property: 'State' }, done: [ACTION('On')], holds: [HOST], timeoutSeconds: 60,
  }]));
  h = await startHarness({ flags: ['--role-source', 'dbus', '--completion-rules-file', rulesFile] });
});

test.after.always(async () => {
  await h?.close();
});

/** The first log line from index `from` on that matches `pattern`; throws when none comes within 10 s. */
async function logLine(from: number, pattern: RegExp): Promise<string> {
  const found = await pollUntil(async () => h.logLines.slice(from).find((l) => pattern.test(l)), (l) => l !== undefined, 10_000);
  if (found === undefined) throw new Error(`no log line ${pattern} in:\n${h.logLines.slice(from).join('\n')}`);
  return found;
}

/** Follows a pending answer: `answered` tells whether it has come (order, never time). */
function track<T>(pending: Promise<T>): { readonly answer: Promise<T>; answered: () => boolean } {
  let done = false;
  const answer = pending.finally(() => (done = true));
  return { answer, answered: () => done };
}

async function jobOf(client: HttpClient, uri: string): Promise<Record<string, unknown>> {
  return ((await client.get(uri)).json as { data: Record<string, unknown> }).data;
}

/** A running job holding host0; resolves with the function that ends it (and waits until it has). */
async function holdHost(t: { is: (a: unknown, b: unknown, m?: string) => void }): Promise<() => Promise<void>> {
  const res = await h.client.request('PUT', LED_STATE, { body: { data: ACTION('Blink') }, headers: { Prefer: 'respond-async' } });
  t.is(res.status, 202, res.text);
  const uri = (res.json as { data: { uri: string } }).data.uri;
  t.is((await h.client.request('PUT', TRANSITION, { body: HOST_ON })).status, 409, 'host0 is held');
  return async () => {
    t.is((await h.client.request('PUT', LED_STATE, { body: { data: ACTION('On') } })).status, 200);
    const job = await pollUntil(() => jobOf(h.client, uri), (j) => j.state !== 'running', 10_000);
    t.is(job.state, 'complete', JSON.stringify(job));
  };
}

async function requested(): Promise<string> {
  return ((await h.client.get(TRANSITION)).json as { data: string }).data;
}

/** Disables the operator and waits until the gateway refuses it. */
async function disableOperator(): Promise<void> {
  const res = await h.client.request('PUT', USER_ENABLED, { body: { data: false } });
  if (res.status !== 200) throw new Error(`disabling: ${res.status} ${res.text}`);
  await pollUntil(() => h.clientAs(TEST_USERS.operator).get(HOST), (r) => r.status === 403, 5000);
}

async function enableOperator(): Promise<void> {
  await h.client.request('PUT', USER_ENABLED, { body: { data: true } });
  await pollUntil(() => h.clientAs(TEST_USERS.operator).get(HOST), (r) => r.status === 200, 5000);
}

test.serial('a waiting write whose client closed the connection is never sent', async (t) => {
  const release = await holdHost(t);
  const from = h.logLines.length;
  const body = JSON.stringify(HOST_ON);
  const socket = await tlsNoRequest({ url: h.gateway.url, ca: h.gateway.certificate ?? '' });
  socket.write(`PUT ${TRANSITION} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic ${Buffer.from('root:0penBmc').toString('base64')}\r\n`
    + `Prefer: wait=30\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  await logLine(from, WAITS);
  socket.destroy();
  // The audit line (written once the handler has ended): the wait ended without sending (499, nothing
  // written), while host0 was still held: the client's leaving ended it, not the release.
  const line = await logLine(from, new RegExp(`verb=PUT path=${escaped(TRANSITION)} status=499`));
  t.notRegex(line, /written=/);
  await release();
  t.is(await requested(), HOST_OFF, 'the power-on was never written');
});

test.serial('a waiting write of an account disabled meanwhile is refused with 403 and never sent', async (t) => {
  const release = await holdHost(t);
  const from = h.logLines.length;
  const waiting = track(h.clientAs(TEST_USERS.operator).request('PUT', TRANSITION, { body: HOST_ON, headers: { Prefer: 'wait=30' } }));
  await logLine(from, WAITS);
  try {
    await disableOperator();
    t.false(waiting.answered(), 'no answer while host0 is held: the refusal comes when the write would be sent');
    await release();
    const res = await waiting.answer;
    t.is(res.status, 403, res.text);
    t.regex((res.json as { data: { description: string } }).data.description,
      /^Insufficient privileges: the account lost the right to this write while it waited \(account disabled\); nothing was sent$/);
    t.is(await requested(), HOST_OFF);
  } finally {
    await enableOperator();
  }
});

test.serial('a queued job of an account disabled meanwhile ends as an error with the 403 and is never sent', async (t) => {
  const release = await holdHost(t);
  const from = h.logLines.length;
  const res = await h.clientAs(TEST_USERS.operator).request('PUT', TRANSITION, { body: HOST_ON, headers: { Prefer: 'respond-async, wait=30' } });
  t.is(res.status, 202, res.text);
  const { uri, state } = (res.json as { data: { uri: string; state: string } }).data;
  t.is(state, 'queued');
  const id = uri.slice('/jobs/'.length);
  await logLine(from, new RegExp(`job ${id} \\(PUT ${escaped(TRANSITION)}\\) queued: waits for job [0-9a-f]+ \\(holds ${escaped(HOST)}\\), up to \\d+ s$`));
  try {
    await disableOperator();
    t.is((await jobOf(h.client, uri)).state, 'queued', 'still queued while host0 is held: it ends when it would start');
    await release();
    const job = await pollUntil(() => jobOf(h.client, uri), (j) => j.state !== 'queued', 10_000);
    t.is(job.state, 'error', JSON.stringify(job));
    t.is(job.started, null, 'it never started');
    t.regex(job.msg as string, /the account lost the right to this write while it waited \(account disabled\)/);
    t.deepEqual(job.result, { data: { description: job.msg }, message: '403 Forbidden', status: 'error' });
    t.is(await requested(), HOST_OFF);
  } finally {
    await enableOperator();
  }
});

test.serial('a waiting write whose session ended (logout) is refused with 403 and never sent', async (t) => {
  const login = await h.clientAs(null).request('POST', '/login', { body: { data: ['operator', TEST_USERS.operator.password] } });
  t.is(login.status, 200, login.text);
  const token = (login.json as { token: string }).token;
  const release = await holdHost(t);
  const from = h.logLines.length;
  const waiting = track(h.clientAs(null).request('PUT', TRANSITION, { body: HOST_ON, headers: { Prefer: 'wait=30', 'X-Auth-Token': token } }));
  await logLine(from, WAITS);
  t.is((await h.clientAs(null).request('POST', '/logout', { headers: { 'X-Auth-Token': token } })).status, 200);
  t.false(waiting.answered(), 'no answer while host0 is held');
  await release();
  const res = await waiting.answer;
  t.is(res.status, 403, res.text);
  t.regex((res.json as { data: { description: string } }).data.description, /\(session ended\); nothing was sent$/);
  t.is(await requested(), HOST_OFF);
});

test.serial('control: a waiting write whose account kept its right is sent once the lock is released', async (t) => {
  const release = await holdHost(t);
  const from = h.logLines.length;
  const waiting = track(h.clientAs(TEST_USERS.operator).request('PUT', TRANSITION, { body: HOST_ON, headers: { Prefer: 'wait=30' } }));
  await logLine(from, WAITS);
  t.false(waiting.answered(), 'no answer while host0 is held');
  await release();
  const res = await waiting.answer;
  t.is(res.status, 200, res.text);
  t.is(res.headers['preference-applied'], 'wait=30');
  t.is(await requested(), HOST_ON.data);
});
