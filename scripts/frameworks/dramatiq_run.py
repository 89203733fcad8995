"""Dramatiq with its Redis broker against a server, as an application uses it. The broker runs
everything through one Lua script (dispatch.lua) that computes its keys from the namespace it is
given in KEYS[1] (queues, .msgs hashes, acks sets, heartbeats, delay and dead-letter queues), and
probes the Lua stack size with maxstack.lua. A worker (in this process) processes messages, with
retries, a dead-lettered failure, a delayed message, results (the Redis results backend), and the
maintenance pass that gives a dead worker's unacked messages back (KEYS inside the script).
Prints one line per step; scripts/frameworks/run.sh runs it against both servers and diffs.

usage: python3 dramatiq_run.py PORT
"""
import sys, time, logging
logging.disable(logging.CRITICAL)  # the worker logs each failure with a traceback
import redis, dramatiq
from dramatiq import Worker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.results import Results
from dramatiq.results.backends import RedisBackend
from dramatiq.middleware import Retries
port = int(sys.argv[1])
r = redis.Redis(port=port, decode_responses=True)
r.flushall(); r.script_flush()

def t(name, f):
    try: print(name, "->", repr(f()))
    except Exception as e: print(name, "EXC", type(e).__name__, str(e)[:300])

broker = RedisBroker(host="127.0.0.1", port=port, namespace="dq", maintenance_chance=1000000, heartbeat_timeout=1000)
broker.add_middleware(Results(backend=RedisBackend(host="127.0.0.1", port=port, namespace="dqres")))
for m in broker.middleware:
    if isinstance(m, Retries): m.min_backoff, m.max_backoff = 10, 50
dramatiq.set_broker(broker)

@dramatiq.actor(store_results=True, max_retries=0)
def add(x, y):
    r.rpush("ran", f"add {x} {y}")
    return x + y

@dramatiq.actor(max_retries=3)
def flaky(fail_times):
    n = r.incr("flaky-runs")
    if n <= fail_times: raise RuntimeError(f"run {n}")
    r.rpush("ran", f"flaky ok after {n}")

@dramatiq.actor(max_retries=1)
def always_fails():
    r.incr("fail-runs")
    raise ValueError("nope")

@dramatiq.actor(queue_name="other")
def record(v):
    r.rpush("other-ran", v)

t("maxstack", lambda: broker._max_unpack_size())
msgs = [add.send(i, i) for i in range(5)]
flaky.send(2); always_fails.send()
for i in range(3): record.send(f"o{i}")
delayed = add.send_with_options(args=(100, 1), delay=300)
t("queues", lambda: sorted(broker.get_declared_queues()))
t("queued", lambda: (r.llen("dq:default"), r.hlen("dq:default.msgs"), r.llen("dq:other"), r.llen("dq:default.DQ"), r.hlen("dq:default.DQ.msgs")))
w = Worker(broker, worker_threads=2, worker_timeout=100)
w.start()
t("results", lambda: [m.get_result(block=True, timeout=10000) for m in msgs])
t("delayed-result", lambda: delayed.get_result(block=True, timeout=10000))
def joined():
    broker.join("default", timeout=15000); broker.join("other", timeout=15000)
    w.join(); return "joined"
t("join", joined)
w.stop(timeout=5000)
t("ran", lambda: sorted(r.lrange("ran", 0, -1)))
# (Sorted: the worker's threads finish them in any order, on either server.)
t("other-ran", lambda: sorted(r.lrange("other-ran", 0, -1)))
t("runs", lambda: (r.get("flaky-runs"), r.get("fail-runs")))
t("dead-letter", lambda: (r.zcard("dq:default.XQ"), r.hlen("dq:default.XQ.msgs"), r.llen("dq:default"), r.hlen("dq:default.msgs"), r.llen("dq:default.DQ")))
t("acks-left", lambda: sorted(k for k in r.keys("dq:__acks__*") if r.scard(k)))

# A dead worker's unacked message goes back to its queue on the next maintenance pass.
b2 = RedisBroker(host="127.0.0.1", port=port, namespace="dq", maintenance_chance=0)
b2.broker_id = "gone"; b2.declare_queue("dead")
b2.enqueue(dramatiq.Message(queue_name="dead", actor_name="record", args=("x",), kwargs={}, options={}, message_id="m-dead"))
t("dead-fetch", lambda: [dramatiq.Message.decode(m.encode() if isinstance(m, str) else m).message_id for m in b2.do_fetch("dead", 10)])
t("dead-state", lambda: (r.llen("dq:dead"), r.scard("dq:__acks__.gone.dead"), r.hlen("dq:dead.msgs")))
r.zadd("dq:__heartbeats__", {"gone": 1})  # its last heartbeat: long ago
b3 = RedisBroker(host="127.0.0.1", port=port, namespace="dq", maintenance_chance=1000000, heartbeat_timeout=1000)
b3.broker_id = "alive"
t("maintenance", lambda: (b3.do_fetch("dead", 0), r.lrange("dq:dead", 0, -1) == r.hkeys("dq:dead.msgs"), r.exists("dq:__acks__.gone.dead"), r.zscore("dq:__heartbeats__", "gone")))
t("refetch", lambda: [dramatiq.Message.decode(m.encode() if isinstance(m, str) else m).message_id for m in b3.do_fetch("dead", 10)])
t("ack", lambda: (r.scard("dq:__acks__.alive.dead"), b3.do_ack("dead", r.hkeys("dq:dead.msgs")[0]), r.hlen("dq:dead.msgs"), r.scard("dq:__acks__.alive.dead")))
