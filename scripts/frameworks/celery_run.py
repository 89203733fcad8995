"""Celery against a server, as an application uses it: a worker (--pool=solo) in a subprocess
with the Redis broker and result backend, .delay().get(), a failing task, retries, a countdown
(ETA), group, chain and chord. Prints one line per step; scripts/frameworks/run.sh runs it
against both servers and diffs.

usage: python3 celery_run.py PORT [nopubsub]
  nopubsub: worker without remote control, mingle and gossip, and results polled with GET
  (AsyncResult.state) instead of .get()'s SUBSCRIBE: what works on a server without Pub/Sub.
"""
import os, sys, subprocess, time
port = sys.argv[1]; os.environ["FW_PORT"] = port
nopubsub = len(sys.argv) > 2 and sys.argv[2] == "nopubsub"
if nopubsub: os.environ["FW_NO_PUBSUB"] = "1"
here = os.path.dirname(os.path.abspath(__file__)); sys.path.insert(0, here)
import redis
redis.Redis(port=int(port)).flushall()
from celery import group, chain, chord
from celery_app import app, add, tsum, fail, flaky
from celery.result import AsyncResult, GroupResult

if nopubsub:
    # .get() without the backend's SUBSCRIBE: poll the result key until the task is done.
    def polled_get(self, timeout=None, propagate=True, **kw):
        deadline = time.time() + (timeout or 15)
        while time.time() < deadline:
            if self.ready():
                if isinstance(self, GroupResult): return [c.get(timeout=timeout) for c in self.results]
                if self.failed() and propagate: raise self.result
                return self.result
            time.sleep(0.05)
        raise TimeoutError("polled_get")
    AsyncResult.get = polled_get; GroupResult.get = polled_get

def t(name, f):
    try: print(name, "->", repr(f()))
    except Exception as e: print(name, "EXC", type(e).__name__, str(e)[:300])

log = open(os.path.join(os.environ.get("FW_LOG_DIR", "/tmp"), f"celery-worker-{port}{'-nopubsub' if nopubsub else ''}.log"), "w")
w = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "celery"), "-A", "celery_app", "worker",
                      "--pool=solo", "--concurrency=1", "--loglevel=INFO", "--without-heartbeat"] + (["--without-mingle", "--without-gossip"] if nopubsub else []),
                     cwd=here, env=dict(os.environ, PYTHONPATH=here), stdout=log, stderr=subprocess.STDOUT)
try:
    t("add", lambda: add.delay(2, 3).get(timeout=15))
    t("apply_async", lambda: add.apply_async((10, 20)).get(timeout=15))
    def failing():
        res = fail.delay("bad")
        try: res.get(timeout=15); return "no error"
        except ValueError as e: return ("ValueError", str(e), res.state)
    t("fail", failing)
    t("retry", lambda: (flaky.delay("flaky-runs", 2).get(timeout=15), redis.Redis(port=int(port)).get("flaky-runs")))
    t("countdown", lambda: add.apply_async((1, 1), countdown=1).get(timeout=15))
    t("group", lambda: group(add.s(i, i) for i in range(5))().get(timeout=15))
    t("chain", lambda: chain(add.s(1, 2), add.s(3), add.s(4))().get(timeout=15))
    t("chord", lambda: chord((add.s(i, 1) for i in range(4)), tsum.s())().get(timeout=20))
    t("state", lambda: (lambda r: (r.get(timeout=15), r.state, r.successful()))(add.delay(5, 5)))
    if not nopubsub: t("inspect-ping", lambda: sorted(v for d in (app.control.ping(timeout=2) or []) for v in d.values()) and "pong")
finally:
    w.terminate()
    try: w.wait(timeout=15)
    except subprocess.TimeoutExpired: w.kill()
    log.close()
print("worker-exit", w.returncode)
