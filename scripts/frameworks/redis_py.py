"""redis-py against a server, as an application uses it: transactions (pipeline, the
transaction() helper with WATCH retries under contention), and every blocking call. Prints one
line per step; scripts/frameworks/run.sh runs it against shardis and redis-server and diffs.

usage: python3 redis_py.py PORT [2|3]   (RESP version)
(redis-py's Lock needs EVALSHA: not tried until scripting lands.)
"""
import redis, threading, time, sys, traceback
port=int(sys.argv[1]); proto=int(sys.argv[2]) if len(sys.argv)>2 else 2
r=redis.Redis(port=port, protocol=proto, decode_responses=True)
r.flushall()
def t(name, f):
    try: print(name, "->", repr(f()))
    except Exception as e: print(name, "EXC", type(e).__name__, e)
def p1():
    p=r.pipeline()
    for i in range(10): p.set(f"k{i}", i); p.incr(f"c{i}")
    p.get("k3"); p.mget("k1","k2","k9")
    return p.execute()
t("pipe-tx", p1)
def p2():
    p=r.pipeline(transaction=False)
    for i in range(5): p.set(f"n{i}", i); p.get(f"n{i}")
    return p.execute()
t("pipe-notx", p2)
def p3():
    p=r.pipeline(); p.set("a",1); p.lpush("a","x"); p.incr("b"); return p.execute(raise_on_error=False)
t("pipe-tx-err", p3)
def p4():
    p=r.pipeline(); p.set("a",1); p.execute_command("NOSUCHCMD"); p.incr("b"); return p.execute()
t("pipe-tx-queue-err", p4)
# transaction helper with contention
r.set("cnt",0)
stop=False
def bumper():
    while not stop:
        r2=redis.Redis(port=port, protocol=proto)
        for _ in range(200): r2.incr("cnt")
        r2.close(); break
retries=[0]
def fn(pipe):
    retries[0]+=1
    v=int(pipe.get("cnt")); time.sleep(0.001)
    pipe.multi(); pipe.set("cnt", v+1000); pipe.set("other", v)
def txh():
    th=threading.Thread(target=bumper); th.start()
    res=[]
    for _ in range(20): res.append(r.transaction(fn, "cnt", "other"))
    th.join()
    # The number of retries depends on timing; the final count must be exact.
    return res[-1], r.get("cnt")
t("transaction-helper", txh)
def wexec():
    p=r.pipeline(); p.watch("w1"); r.set("w1","changed"); p.multi(); p.set("w1","mine")
    try: return p.execute()
    except redis.WatchError as e: return ("WatchError", r.get("w1"))
t("watch-abort", wexec)
# blocking
r.delete("q","q2","z","d")
t("blpop-timeout", lambda: r.blpop("q",timeout=1))
t("brpop-float", lambda: r.brpop(["q","q2"],timeout=0.3))
def pushlater(cmd, *a, delay=0.3):
    def f():
        time.sleep(delay); redis.Redis(port=port).execute_command(cmd,*a)
    threading.Thread(target=f).start()
pushlater("RPUSH","q2","v1")
t("blpop-wake-multikey", lambda: r.blpop(["q","q2"],timeout=5))
pushlater("RPUSH","src","m1")
t("blmove-wake", lambda: (r.blmove("src","dst",5,"LEFT","RIGHT"), r.lrange("dst",0,-1)))
t("blmove-timeout", lambda: r.blmove("src","dst",0.2))
t("brpoplpush-timeout", lambda: r.brpoplpush("src","dst",1))
pushlater("ZADD","z","1","a","2","b")
t("bzpopmin-wake", lambda: r.bzpopmin(["z0","z"],timeout=5))
t("bzpopmax", lambda: r.bzpopmax("z",timeout=1))
t("bzpopmin-timeout", lambda: r.bzpopmin("z",timeout=0.2))
r.rpush("l2","a","b","c")
t("blmpop", lambda: r.blmpop(1, 2, "l1","l2", direction="LEFT", count=2))
t("blmpop-timeout", lambda: r.blmpop(0.2, 1, "l1", direction="RIGHT"))
r.zadd("zz",{"x":1,"y":2})
t("bzmpop", lambda: r.bzmpop(1,2,["z1","zz"],min=True,count=5))
t("wait", lambda: r.wait(0,100))
# blocking in pipelines / multi
def bp():
    p=r.pipeline(); p.blpop("emptyq",1); p.rpush("emptyq","z"); p.blpop("emptyq",1); return p.execute()
t("blpop-in-multi", bp)
def bp2():
    p=r.pipeline(transaction=False); p.blpop("emptyq2",0.2); p.set("x",1); return p.execute()
t("blpop-in-pipeline", bp2)
