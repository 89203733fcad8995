// BullMQ (with ioredis) against a server, as an application uses it. BullMQ keeps its logic in
// Lua scripts (addStandardJob, moveToActive, moveToFinished, moveStalledJobsToWait, ...) that
// compute most keys from the queue's prefix and write events with XADD, which QueueEvents reads
// with XREAD BLOCK. A Queue adds jobs (plain, delayed, prioritized, retried with backoff, failing,
// bulk), a Worker processes them, and the script prints the jobs' states, results, counts and the
// completion/failure events, sorted. scripts/frameworks/run.sh runs it against both servers.
//
// usage: node run.mjs PORT [nostreams]
//   nostreams: every script's stream commands (XADD, XTRIM, ...) become no-ops inside the script
//   and QueueEvents is left out, so the rest of BullMQ's Lua can be checked on a server without
//   streams.
import { Queue, Worker, QueueEvents, FlowProducer } from 'bullmq';
import IORedis from 'ioredis';

const port = Number(process.argv[2]);
// BullMQ's background calls (stalled-job checks, ...) reject with the whole script in the error:
// one line each is enough.
const brief = e => `${e && e.constructor && e.constructor.name}: ${String(e && e.message).slice(0, 200)}`;
process.on('unhandledRejection', e => console.log('unhandled rejection', brief(e)));
process.on('uncaughtException', e => console.log('uncaught exception', brief(e)));
const nostreams = process.argv[3] === 'nostreams';
if (nostreams) {
  const shim = `local rcall = function(c, ...)
  local u = string.upper(c)
  if u == "XADD" then return "0-0" end
  if u == "XTRIM" or u == "XLEN" or u == "XDEL" then return 0 end
  if u == "XRANGE" or u == "XREVRANGE" then return {} end
  if u == "XREAD" then return false end
  return redis.call(c, ...)
end`;
  const define = IORedis.prototype.defineCommand;
  IORedis.prototype.defineCommand = function (name, def) {
    return define.call(this, name, { ...def, lua: def.lua.replace(/local rcall = redis\.call\b/g, shim) });
  };
}
const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
const r = new IORedis(connection);
await r.flushall();
const show = (name, v) => console.log(name, '->', JSON.stringify(v));
async function t(name, f) {
  try { show(name, await f()); } catch (e) { console.log(name, 'EXC', e.constructor.name, String(e.message).slice(0, 300)); }
}
const withTimeout = (p, ms, what) => Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(`timeout: ${what}`)), ms).unref())]);

const queue = new Queue('fw', { connection });
const seen = { qeCompleted: [], qeFailed: [], wCompleted: [], wFailed: [] };
const events = nostreams ? null : new QueueEvents('fw', { connection });
if (events) {
  events.on('completed', ({ jobId, returnvalue }) => seen.qeCompleted.push(`${jobId}=${returnvalue}`));
  events.on('failed', ({ jobId, failedReason }) => seen.qeFailed.push(`${jobId}:${failedReason}`));
  let qeErr = 0;
  events.on('error', e => { if (!qeErr++) console.log('queue-events error', brief(e)); });
  await t('events-ready', () => withTimeout(events.waitUntilReady().then(() => 'ready'), 5000, 'QueueEvents ready'));
}

// Every Worker gets an error listener (without one, BullMQ prints each failed background call
// with the whole script).
const workerErrors = {};
function watch(w, name) {
  w.on('error', e => { const m = `${name}: ${brief(e)}`; if (!workerErrors[m]) console.log('worker error', m); workerErrors[m] = 1; });
  return w;
}
const runs = {};
async function processor(job) {
  runs[job.id] = (runs[job.id] || 0) + 1;
  await r.rpush('order', job.id);
  switch (job.name) {
    case 'add': return job.data.a + job.data.b;
    case 'fail': throw new Error(`bad ${job.data.why}`);
    case 'flaky':
      if (runs[job.id] <= job.data.failTimes) throw new Error(`run ${runs[job.id]}`);
      return `ok after ${runs[job.id]}`;
    case 'progress': await job.updateProgress(50); await job.updateProgress({ step: 2 }); return 'progressed';
    default: return null;
  }
}

await t('add', async () => (await queue.add('add', { a: 1, b: 2 }, { jobId: 'j-add' })).id);
await t('add-dup-id', async () => (await queue.add('add', { a: 9, b: 9 }, { jobId: 'j-add' })).data);
await t('add-fail', async () => (await queue.add('fail', { why: 'input' }, { jobId: 'j-fail', attempts: 2, backoff: { type: 'fixed', delay: 10 } })).id);
await t('add-flaky', async () => (await queue.add('flaky', { failTimes: 2 }, { jobId: 'j-flaky', attempts: 3, backoff: { type: 'exponential', delay: 10 } })).id);
await t('add-delayed', async () => (await queue.add('add', { a: 10, b: 20 }, { jobId: 'j-delayed', delay: 400 })).id);
await t('add-prio', async () => (await Promise.all([3, 1, 2].map(p => queue.add('add', { a: p, b: 0 }, { jobId: `j-prio${p}`, priority: p })))).map(j => j.id));
await t('add-bulk', async () => (await queue.addBulk([0, 1, 2].map(i => ({ name: 'add', data: { a: i, b: 100 }, opts: { jobId: `j-bulk${i}` } })))).map(j => j.id));
await t('add-progress', async () => (await queue.add('progress', {}, { jobId: 'j-progress' })).id);
await t('add-lifo', async () => (await queue.add('add', { a: 0, b: 0 }, { jobId: 'j-lifo', lifo: true })).id);
await t('counts-before', () => queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'completed', 'failed'));
await t('state-before', async () => Promise.all(['j-add', 'j-delayed', 'j-prio1', 'j-lifo'].map(id => queue.getJobState(id))));
await t('waiting-ids', async () => (await queue.getWaiting()).map(j => j.id));
await t('delayed-ids', async () => (await queue.getDelayed()).map(j => j.id));

const expected = 12; // jobs that end completed or failed
let done = 0; let resolveAll;
const allDone = new Promise(res => { resolveAll = res; });
const worker = watch(new Worker('fw', processor, { connection, concurrency: 1, autorun: false }), 'fw');
worker.on('completed', (job, rv) => { seen.wCompleted.push(`${job.id}=${JSON.stringify(rv)}`); if (++done === expected) resolveAll(); });
worker.on('failed', (job, err) => { seen.wFailed.push(`${job.id}:${err.message}:${job.attemptsMade}`); if (job.attemptsMade >= (job.opts.attempts || 1) && ++done === expected) resolveAll(); });
worker.run();
await t('all-done', () => withTimeout(allDone.then(() => done), 15000, `only ${done} of ${expected} jobs done`));
await new Promise(res => setTimeout(res, 300)); // let QueueEvents catch up
await t('worker-completed', () => seen.wCompleted.sort());
await t('worker-failed', () => seen.wFailed.sort());
if (events) {
  await t('events-completed', () => seen.qeCompleted.sort());
  await t('events-failed', () => seen.qeFailed.sort());
}
await t('order-prio', async () => (await r.lrange('order', 0, -1)).filter(id => id.startsWith('j-prio')));
await t('order-first', async () => (await r.lrange('order', 0, -1))[0]);
await t('counts-after', () => queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'completed', 'failed'));
await t('completed-ids', async () => (await queue.getCompleted()).map(j => j.id).sort());
await t('failed-ids', async () => (await queue.getFailed()).map(j => j.id).sort());
await t('job-add', async () => { const j = await queue.getJob('j-add'); return [j.returnvalue, j.attemptsMade, j.finishedOn > 0, await j.getState()]; });
await t('job-fail', async () => { const j = await queue.getJob('j-fail'); return [j.failedReason, j.attemptsMade, j.stacktrace.length, await j.getState()]; });
await t('job-flaky', async () => { const j = await queue.getJob('j-flaky'); return [j.returnvalue, j.attemptsMade, await j.getState()]; });
await t('job-progress', async () => (await queue.getJob('j-progress')).progress);
await worker.close();
await t('retry-failed', async () => { const j = await queue.getJob('j-fail'); await j.retry(); return [await j.getState(), await queue.getJobCounts('wait', 'failed')]; });
await t('remove', async () => { const j = await queue.getJob('j-fail'); await j.remove(); return [await queue.getJob('j-fail') ?? null, await queue.getJobCounts('wait', 'failed')]; });
await t('pause-resume', async () => { await queue.pause(); const p = await queue.isPaused(); await queue.resume(); return [p, await queue.isPaused()]; });
await t('clean-completed', async () => (await queue.clean(0, 100, 'completed')).length);
// A flow: a parent job in one queue waits for children in two queues (keys of several queues in
// one script call), then sees their results.
const flows = new FlowProducer({ connection });
await t('flow-add', async () => {
  const tree = await flows.add({ name: 'parent', queueName: 'fw-parent', data: {}, opts: { jobId: 'p1' }, children: [
    { name: 'add', queueName: 'fw', data: { a: 1, b: 1 }, opts: { jobId: 'c1' } },
    { name: 'add', queueName: 'fw-child', data: { a: 2, b: 2 }, opts: { jobId: 'c2' } }] });
  return [tree.job.id, tree.children.map(c => c.job.id), await tree.job.getState(), await tree.job.getDependenciesCount()];
});
const childWorkers = ['fw', 'fw-child'].map(q => watch(new Worker(q, processor, { connection, concurrency: 1 }), q));
let parentResolve; const parentDone = new Promise(res => { parentResolve = res; });
const parentWorker = watch(new Worker('fw-parent', async job => {
  const vals = await job.getChildrenValues();
  return Object.keys(vals).map(k => `${k.split(':').slice(1).join(':')}=${vals[k]}`).sort();
}, { connection }), 'fw-parent');
parentWorker.on('completed', (job, rv) => parentResolve(rv));
await t('flow-done', () => withTimeout(parentDone, 10000, 'parent job'));
await t('flow-parent', async () => { const j = await Queue.prototype.getJob.call(new Queue('fw-parent', { connection }), 'p1'); return [await j.getState(), j.returnvalue]; });
// A worker rate limit: 4 jobs, at most 2 per second, all done.
const limited = new Queue('fw-limited', { connection });
await t('limited-add', async () => (await limited.addBulk([0, 1, 2, 3].map(i => ({ name: 'add', data: { a: i, b: 0 }, opts: { jobId: `l${i}` } })))).length);
let lcount = 0; let lresolve; const ldone = new Promise(res => { lresolve = res; });
const lworker = watch(new Worker('fw-limited', processor, { connection, limiter: { max: 2, duration: 500 } }), 'fw-limited');
lworker.on('completed', () => { if (++lcount === 4) lresolve(lcount); });
await t('limited-done', () => withTimeout(ldone, 10000, `limited: ${lcount} of 4`));
await t('limited-counts', () => limited.getJobCounts('wait', 'completed'));
// A job scheduler (repeatable job): every 200 ms, stopped after two runs.
const sched = new Queue('fw-sched', { connection });
let srun = 0; let sresolve; const sdone = new Promise(res => { sresolve = res; });
const sworker = watch(new Worker('fw-sched', async job => { srun++; if (srun === 2) sresolve(job.name); return srun; }, { connection }), 'fw-sched');
await t('scheduler-add', async () => (await sched.upsertJobScheduler('every200', { every: 200 }, { name: 'tick', data: {} })).name);
await t('scheduler-list', async () => (await sched.getJobSchedulers()).map(s => [s.key, s.every]));
await t('scheduler-ran', () => withTimeout(sdone, 10000, `scheduler: ${srun} runs`));
await t('scheduler-remove', async () => [await sched.removeJobScheduler('every200'), (await sched.getJobSchedulers()).length]);
for (const w of [...childWorkers, parentWorker, lworker, sworker]) await w.close();
await flows.close();
await t('metrics', async () => { const m = await queue.getMetrics('completed'); return m.meta.count; });
for (const q of [limited, sched]) await t(`obliterate-${q.name}`, async () => { await q.obliterate({ force: true }); await q.close(); return 'ok'; });
if (events) {
  await t('events-trimmed', async () => (await r.exists('bull:fw:events')));
  await events.close();
}
await t('obliterate', async () => { await queue.obliterate({ force: true }); return (await r.keys('bull:fw:*')).sort(); });
await t('keys-left', async () => (await r.keys('bull:*')).filter(k => !/:(stalled-check|limiter)$/.test(k)).sort());
await queue.close();
await r.quit();
process.exit(0);
