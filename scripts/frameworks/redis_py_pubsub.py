"""redis-py's pub/sub helpers and keyspace notifications, as a user
writes them; prints what they see, so the output can be diffed between servers.

usage: redis_py_pubsub.py PORT PROTOCOL
"""
import sys
import threading
import time

import redis

port, protocol = int(sys.argv[1]), int(sys.argv[2])
r = redis.Redis(port=port, protocol=protocol, decode_responses=True)
r.flushall()


def drain(p, want, timeout=5.0):
    """The next `want` messages of PubSub `p` (subscription confirmations included)."""
    got, deadline = [], time.time() + timeout
    while len(got) < want and time.time() < deadline:
        m = p.get_message(timeout=0.2)
        if m is not None:
            got.append((m["type"], m.get("pattern"), m["channel"], m["data"]))
    return got


# PubSub: channels and patterns, then a publish from another connection.
p = r.pubsub()
p.subscribe("news", "sport")
p.psubscribe("n*")
print("subscribed", drain(p, 3))
print("publish", r.publish("news", "hello"), r.publish("sport", "goal"), r.publish("none", "x"))
print("messages", drain(p, 3))
print("numsub", r.pubsub_numsub("news", "sport", "none"), "numpat", r.pubsub_numpat())
print("channels", sorted(r.pubsub_channels()))
p.unsubscribe("sport")
p.punsubscribe()
print("unsubscribed", drain(p, 2))
print("publish", r.publish("sport", "late"), r.publish("news", "still"))
print("messages", drain(p, 1))

# A handler run in a thread, the way applications consume channels.
seen = []
done = threading.Event()


def handler(message):
    seen.append(message["data"])
    if len(seen) == 3:
        done.set()


p2 = r.pubsub()
p2.subscribe(**{"jobs": handler})
worker = p2.run_in_thread(sleep_time=0.01)
deadline = time.time() + 5
while r.pubsub_numsub("jobs")[0][1] < 1 and time.time() < deadline:
    time.sleep(0.01)
for i in range(3):
    r.publish("jobs", f"job{i}")
done.wait(5)
worker.stop()
print("thread", seen)

# Keyspace notifications.
r.config_set("notify-keyspace-events", "KEA")
p3 = r.pubsub()
p3.psubscribe("__keyspace@0__:*")
drain(p3, 1)
r.set("k1", "v")
r.expire("k1", 100)
r.lpush("l1", "a")
r.rpop("l1")
r.delete("k1")
print("events", drain(p3, 6))
r.config_set("notify-keyspace-events", "")
p.close()
p3.close()

# (redis-py's own client-side cache, `cache_config=`, refuses servers older than 7.4, which
# redis-server 7.0.15 and shardis's 7.2.4 both report; CLIENT TRACKING itself is covered by
# tests/pubsub.rs.)
