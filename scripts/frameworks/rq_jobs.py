"""RQ against a server, as an application uses it: enqueue jobs, run `rq worker --burst` (a
forking worker in a subprocess, with its scheduler), then check statuses, results, the failed
and finished registries, retries, dependencies, unique job ids (RQ's unique-enqueue Lua script),
scheduled jobs (enqueue_in, the scheduler's lock script), concurrency rate limits (Lua scripts
that build job and queue keys from prefixes inside the script) and Queue.empty (a Lua script).
Prints one line per step; scripts/frameworks/run.sh runs it against both servers and diffs.

usage: python3 rq_jobs.py PORT
"""
import os, sys, subprocess, time
from datetime import timedelta
import redis
from rq import Queue, Retry
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry, DeferredJobRegistry
from rq.exceptions import DuplicateJobError
port = int(sys.argv[1]); os.environ["FW_PORT"] = str(port)
here = os.path.dirname(os.path.abspath(__file__)); sys.path.insert(0, here)
import rq_tasks
r = redis.Redis(port=port); rd = redis.Redis(port=port, decode_responses=True)
r.flushall(); r.script_flush()

def t(name, f):
    try: print(name, "->", repr(f()))
    except Exception as e: print(name, "EXC", type(e).__name__, e)

def worker(*queues, scheduler=False):
    env = dict(os.environ, PYTHONPATH=here)
    cmd = [os.path.join(os.path.dirname(sys.executable), "rq"), "worker", "--burst", "--url", f"redis://127.0.0.1:{port}", *queues]
    if scheduler: cmd.append("--with-scheduler")
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    if p.returncode != 0: print("worker rc", p.returncode, p.stderr[-2000:])
    return p.returncode

q = Queue("default", connection=r); q2 = Queue("high", connection=r)
j_add = q.enqueue(rq_tasks.add, 2, 3, job_id="add")
j_boom = q.enqueue(rq_tasks.boom, "bad", job_id="boom")
j_flaky = q.enqueue(rq_tasks.flaky, "flaky-runs", 2, job_id="flaky", retry=Retry(max=3))
j_noretry = q.enqueue(rq_tasks.flaky, "flaky2-runs", 5, job_id="flaky2", retry=Retry(max=1))
j_dep = q.enqueue(rq_tasks.add, 10, 20, job_id="dep", depends_on=j_add)
j_depfail = q.enqueue(rq_tasks.add, 1, 1, job_id="depfail", depends_on=j_boom)
j_hi = q2.enqueue(rq_tasks.record, "order", "high", job_id="hi")
j_front = q.enqueue(rq_tasks.record, "order", "front", job_id="front", at_front=True)
t("statuses-before", lambda: [Job.fetch(i, connection=r).get_status() for i in ("add", "boom", "flaky", "dep", "depfail", "hi", "front")])
t("counts-before", lambda: (q.count, q2.count, len(DeferredJobRegistry(queue=q))))
t("job-ids", lambda: q.job_ids)
t("unique-dup", lambda: q.enqueue(rq_tasks.add, 0, 0, job_id="add", unique=True).id)
t("unique-new", lambda: q.enqueue(rq_tasks.record, "order", "uniq", job_id="uniq", unique=True).id)
t("worker", lambda: worker("high", "default"))
for j in (j_add, j_boom, j_flaky, j_noretry, j_dep, j_depfail, j_hi, j_front):
    j.refresh()
t("statuses-after", lambda: [(j.id, j.get_status()) for j in (j_add, j_boom, j_flaky, j_noretry, j_dep, j_depfail, j_hi, j_front)])
t("results", lambda: [j.return_value() for j in (j_add, j_flaky, j_dep, j_hi, j_front)])
t("boom-exc", lambda: j_boom.latest_result().exc_string.strip().splitlines()[-1])
t("flaky-runs", lambda: (rd.get("flaky-runs"), rd.get("flaky2-runs"), j_flaky.retries_left, j_noretry.retries_left))
t("order", lambda: rd.lrange("order", 0, -1))
t("failed-registry", lambda: sorted(FailedJobRegistry(queue=q).get_job_ids()))
t("finished-registry", lambda: sorted(FinishedJobRegistry(queue=q).get_job_ids()))
t("requeue-failed", lambda: (FailedJobRegistry(queue=q).requeue("boom").id, q.job_ids))
t("empty", lambda: (q.empty(), q.count, r.exists("rq:job:boom")))

# scheduled jobs
j_s1 = q.enqueue_in(timedelta(seconds=1), rq_tasks.record, "sched", "later", job_id="s1")
j_s2 = q.enqueue_in(timedelta(hours=1), rq_tasks.record, "sched", "much-later", job_id="s2")
t("scheduled", lambda: (j_s1.get_status(), sorted(ScheduledJobRegistry(queue=q).get_job_ids()), q.count))
time.sleep(1.5)
t("worker-scheduler", lambda: worker("default", scheduler=True))
t("scheduled-after", lambda: (Job.fetch("s1", connection=r).get_status(), Job.fetch("s2", connection=r).get_status(), rd.lrange("sched", 0, -1), ScheduledJobRegistry(queue=q).get_job_ids()))

# rate limits (RQ 3.0: concurrency per key; promotion happens in Lua)
try:
    from rq import RateLimit
except ImportError:
    RateLimit = None
if RateLimit:
    from rq.rate_limit import RateLimitRegistry
    q3 = Queue("rl", connection=r)
    for i in range(4):
        q3.enqueue(rq_tasks.record, "rlorder", f"r{i}", job_id=f"rl{i}", rate_limit=RateLimit("shared", 2))
    reg = RateLimitRegistry("shared", r)
    t("rl-before", lambda: ([Job.fetch(f"rl{i}", connection=r).get_status() for i in range(4)], q3.count, reg.get_allowed_job_count(), reg.get_rate_limited_job_count()))
    t("rl-worker", lambda: worker("rl"))
    t("rl-after", lambda: ([Job.fetch(f"rl{i}", connection=r).get_status() for i in range(4)], rd.lrange("rlorder", 0, -1), reg.get_allowed_job_count(), reg.get_rate_limited_job_count()))
t("keys-left", lambda: sorted(k for k in rd.keys("*") if not k.startswith(("rq:worker", "rq:workers", "rq:results", "rq:executions", "rq:clean_registries", "rq:scheduler", "rq:wip", "rq:finished", "rq:failed"))))
