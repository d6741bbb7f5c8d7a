/**
 * The memory phase of the bench: idle RSS (at +2 s and settled), after a
 * login, after a burst of attribute reads (and settled), and the growth
 * during a firmware upload.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { create as createTar } from 'tar';
import { gatewayClient, login, upload } from '../lib/http.js';
import { ATTR, type PhaseContext } from '../lib/phase.js';
import { memoryOf } from '../lib/processes.js';

export async function memoryPhase(ctx: PhaseContext): Promise<void> {
  const simChild = await ctx.sim(24);
  const gw = await ctx.gateway();
  const mb = (kb: number) => kb / 1024;
  try {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idle = await memoryOf(gw.pid);
    ctx.result({ name: 'rss_idle', value: mb(idle.rss), unit: 'MB', note: '2 s after start' });
    ctx.result({ name: 'rss_idle_anon', value: mb(idle.anon), unit: 'MB', note: 'RssAnon (without the mapped node binary and libraries), 2 s after start' });
    // A daemon idle on a BMC has been idle for a while: V8's memory reducer gives back what start-up
    // grew (its young generation, free pages) once allocation has been quiet for some seconds.
    // Sampled until RssAnon has dropped and held for 3 s, for at most 60 s (not in --quick).
    if (ctx.plan.settleSeconds > 0) {
      const from = performance.now();
      let settled = idle;
      let steady = 0;
      while (performance.now() - from < 60_000 && steady < 3) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const now = await memoryOf(gw.pid);
        steady = now.anon < idle.anon - 1024 && Math.abs(now.anon - settled.anon) < 256 ? steady + 1 : 0;
        settled = now;
      }
      const waited = 2 + (performance.now() - from) / 1000;
      ctx.result({ name: 'rss_idle_settled', value: mb(settled.rss), unit: 'MB', target: '<= 60', ok: mb(settled.rss) <= 60, note: `+${waited.toFixed(0)} s after start` });
      ctx.result({ name: 'rss_idle_settled_anon', value: mb(settled.anon), unit: 'MB', target: '<= 20', ok: mb(settled.anon) <= 20, note: 'RssAnon' });
    }
    const client = gatewayClient(gw.url, ctx.ca());
    const token = await login(client, ctx.user, ctx.password);
    // The users-file backend's scrypt (N=16384, r=8) takes 16 MiB of native memory for the check,
    // which the allocator keeps; PAM (the production backend) does not do this.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const loggedIn = await memoryOf(gw.pid);
    ctx.result({ name: 'rss_after_login', value: mb(loggedIn.rss), unit: 'MB', note: 'one users-file (scrypt) login' });
    const run = await autocannon({
      url: `${gw.url}${ATTR.path}/attr/${ATTR.name}`, connections: 16, amount: ctx.plan.requests,
      headers: { 'x-auth-token': token }, servername: 'localhost',
    });
    if (run.non2xx > 0 || run.errors > 0) ctx.note(`WARNING: ${run.non2xx} non-2xx and ${run.errors} errors during the ${ctx.plan.requests} requests`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await memoryOf(gw.pid);
    ctx.note(`${run['2xx']} requests answered; VmHWM so far ${mb(after.hwm).toFixed(1)} MB`);
    ctx.result({ name: 'rss_after_requests', value: mb(after.rss), unit: 'MB', note: `${ctx.plan.requests} GET attr, 16 connections, +2 s` });
    ctx.result({ name: 'rss_growth_requests', value: mb(after.rss - idle.rss), unit: 'MB', target: '<= 10', ok: mb(after.rss - idle.rss) <= 10, note: 'from rss_idle' });
    ctx.result({ name: 'rss_growth_requests_after_login', value: mb(after.rss - loggedIn.rss), unit: 'MB', note: 'from rss_after_login' });
    // V8's memory reducer gives free heap pages back some seconds after the load stops (it
    // waits for a quiet allocation rate); what the daemon keeps once a burst is over is this
    // figure: sampled every 0.5 s until it is back within 10 MB of idle or settleSeconds pass.
    // Not in --quick (it would not fit in 60 s).
    if (ctx.plan.settleSeconds > 0) {
      const waitFrom = performance.now();
      let settled = await memoryOf(gw.pid);
      while (mb(settled.rss - idle.rss) > 10 && performance.now() - waitFrom < ctx.plan.settleSeconds * 1000) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        settled = await memoryOf(gw.pid);
      }
      const waited = 2 + (performance.now() - waitFrom) / 1000;
      const settledGrowth = mb(settled.rss - idle.rss);
      ctx.result({ name: 'rss_after_requests_settled', value: mb(settled.rss), unit: 'MB', note: `+${waited.toFixed(1)} s after the requests` });
      ctx.result({ name: 'rss_settle_seconds', value: waited, unit: 's', note: `until within 10 MB of idle, at most +${2 + ctx.plan.settleSeconds} s` });
      ctx.result({ name: 'rss_growth_requests_settled', value: settledGrowth, unit: 'MB', target: '<= 10', ok: settledGrowth <= 10, note: 'from rss_idle' });
    }

    // A real image: a tar with a MANIFEST the simulated software manager accepts.
    const stage = join(ctx.dir, 'stage');
    await mkdir(stage, { recursive: true });
    await writeFile(join(stage, 'MANIFEST'), `purpose=xyz.openbmc_project.Software.Version.VersionPurpose.BMC\nversion=bench-${Date.now()}\n`);
    const blob = join(stage, 'image-bmc');
    await writeFile(blob, Buffer.alloc(0));
    for (let i = 0; i < ctx.plan.uploadMiB; i++) await writeFile(blob, randomBytes(1024 * 1024), { flag: 'a' });
    const tarFile = join(ctx.dir, 'image.tar');
    await createTar({ file: tarFile, cwd: stage }, ['MANIFEST', 'image-bmc']);
    await rm(stage, { recursive: true });
    // Reset the high-water mark (Linux: 5 > clear_refs), then sample while the upload runs.
    await writeFile(`/proc/${gw.pid}/clear_refs`, '5').catch(() => ctx.note('could not reset VmHWM; sampling VmRSS only'));
    const before = await memoryOf(gw.pid);
    let peak = before.rss;
    const sampler = setInterval(() => void memoryOf(gw.pid).then((m) => (peak = Math.max(peak, m.rss)), () => undefined), 5);
    const t = performance.now();
    const answer = await upload(client, tarFile);
    const uploadSeconds = (performance.now() - t) / 1000;
    clearInterval(sampler);
    const end = await memoryOf(gw.pid);
    peak = Math.max(peak, end.hwm, end.rss);
    ctx.note(`upload of ${ctx.plan.uploadMiB} MiB: ${answer.status} ${answer.body.toString().replace(/\s+/g, ' ').slice(0, 160)} in ${uploadSeconds.toFixed(1)} s`);
    ctx.result({ name: 'upload_status', value: answer.status, unit: 'http', note: `${ctx.plan.uploadMiB} MiB tar, octet-stream` });
    ctx.result({ name: 'rss_peak_upload', value: mb(peak), unit: 'MB' });
    ctx.result({ name: 'rss_growth_upload', value: mb(peak - before.rss), unit: 'MB', target: '<= 16', ok: mb(peak - before.rss) <= 16 });
  } finally {
    await ctx.stop(gw);
    await ctx.stop(simChild);
  }
}
