"""redis-py's scripting surface against a server, as an application uses it: Lock (acquire,
release, extend, reacquire, blocking and not, lock timeouts, thread contention), register_script
(Script objects, EVALSHA falling back to EVAL after SCRIPT FLUSH), scripts in pipelines with and
without MULTI, EVAL/EVALSHA error replies, FUNCTION LOAD/FCALL/FCALL_RO/LIST/DUMP/RESTORE. Prints
one line per step; scripts/frameworks/run.sh runs it against shardis and redis-server and diffs.

usage: python3 redis_py_scripts.py PORT [2|3]   (RESP version)
"""
import redis, threading, time, sys
from redis.lock import Lock
from redis.exceptions import LockError, LockNotOwnedError, NoScriptError, ResponseError
port = int(sys.argv[1]); proto = int(sys.argv[2]) if len(sys.argv) > 2 else 2
r = redis.Redis(port=port, protocol=proto, decode_responses=True)
rb = redis.Redis(port=port, protocol=proto)  # bytes replies
r.flushall(); r.script_flush(); r.function_flush()

def t(name, f):
    try: print(name, "->", repr(f()))
    except Exception as e: print(name, "EXC", type(e).__name__, e)

# ---- Lock ----
def lock_basic():
    l = r.lock("res", timeout=10)
    a = l.acquire(blocking=False)
    ttl = 0 < r.pttl("res") <= 10000
    owned = l.owned(); locked = l.locked()
    l.release()
    return a, ttl, owned, locked, l.locked(), r.exists("res")
t("lock-basic", lock_basic)
def lock_contend():
    l1 = r.lock("res2", timeout=5); l2 = r.lock("res2", timeout=5)
    a1 = l1.acquire(blocking=False); a2 = l2.acquire(blocking=False)
    a3 = l2.acquire(blocking=True, blocking_timeout=0.2)
    try: l2.release(); rel = "released"
    except LockError as e: rel = type(e).__name__
    l1.release()
    return a1, a2, a3, rel, l2.acquire(blocking=False), l2.owned()
t("lock-contend", lock_contend)
def lock_extend():
    l = r.lock("res3", timeout=2)
    l.acquire()
    e1 = l.extend(10)
    p1 = 10000 < r.pttl("res3") <= 12000
    e2 = l.extend(3, replace_ttl=True)
    p2 = 0 < r.pttl("res3") <= 3000
    rq = l.reacquire()
    p3 = 1000 < r.pttl("res3") <= 2000
    l.release()
    try: l.extend(1); e3 = "extended"
    except LockError as e: e3 = type(e).__name__
    try: l.reacquire(); e4 = "reacquired"
    except LockError as e: e4 = type(e).__name__
    return e1, p1, e2, p2, rq, p3, e3, e4
t("lock-extend", lock_extend)
def lock_expire():
    l1 = r.lock("res4", timeout=0.2); l1.acquire()
    l2 = r.lock("res4", timeout=5)
    a = l2.acquire(blocking=True, blocking_timeout=2)  # gets it once l1's key expires
    try: l1.release(); rel = "released"
    except LockError as e: rel = type(e).__name__
    try: l1.extend(1); ext = "extended"
    except LockError as e: ext = type(e).__name__
    o = (l1.owned(), l2.owned()); l2.release()
    return a, rel, ext, o
t("lock-expire", lock_expire)
def lock_ctx():
    with r.lock("res5", timeout=5, blocking_timeout=1) as l:
        inside = (l.locked(), r.get("res5") == l.local.token.decode() if isinstance(l.local.token, bytes) else r.get("res5") == l.local.token)
    return inside, r.exists("res5")
t("lock-ctx", lock_ctx)
def lock_threads():
    # 8 threads x 25 increments of a plain GET/SET counter, serialized by the lock.
    r.set("lc", 0)
    def worker():
        c = redis.Redis(port=port, protocol=proto)
        for _ in range(25):
            with c.lock("res6", timeout=5, sleep=0.001):
                v = int(c.get("lc")); c.set("lc", v + 1)
        c.close()
    ths = [threading.Thread(target=worker) for _ in range(8)]
    for th in ths: th.start()
    for th in ths: th.join()
    return r.get("lc"), r.exists("res6")
t("lock-threads", lock_threads)
def lock_notowned():
    l = r.lock("res7", timeout=5); l.acquire()
    r.set("res7", "someone-else")
    out = []
    for f in (l.release, lambda: l.extend(1), l.reacquire):
        try: f(); out.append("ok")
        except LockNotOwnedError as e: out.append(("LockNotOwnedError", str(e)))
        except LockError as e: out.append(("LockError", str(e)))
    return out, r.get("res7")
t("lock-notowned", lock_notowned)
t("lock-no-timeout", lambda: (lambda l: (l.acquire(), r.ttl("res8"), l.release(), r.exists("res8")))(r.lock("res8")))
t("lock-class", lambda: (lambda l: (l.acquire(blocking=False), l.release()))(Lock(r, "res9", timeout=1, thread_local=False)))

# ---- register_script ----
incrby = r.register_script("local v = redis.call('INCRBY', KEYS[1], ARGV[1]) return {v, KEYS[1], ARGV[2]}")
t("script-sha", lambda: incrby.sha)
t("script-call", lambda: incrby(keys=["sc1"], args=[5, "tag"]))
t("script-call2", lambda: incrby(keys=["sc1"], args=[7, "tag"]))
t("script-exists", lambda: r.script_exists(incrby.sha, "0" * 40))
t("script-flush", lambda: r.script_flush())
t("script-exists-after-flush", lambda: r.script_exists(incrby.sha))
t("script-after-flush", lambda: incrby(keys=["sc1"], args=[1, "again"]))  # NOSCRIPT -> SCRIPT LOAD -> EVALSHA
t("script-exists-reloaded", lambda: r.script_exists(incrby.sha))
t("evalsha-noscript", lambda: r.evalsha("f" * 40, 0))
def noscript_exc():
    try: r.evalsha("e" * 40, 0)
    except NoScriptError as e: return "NoScriptError", str(e)
t("evalsha-noscript-exc", noscript_exc)
t("script-load", lambda: r.script_load("return redis.call('GET', KEYS[1])"))
t("evalsha-loaded", lambda: r.evalsha(r.script_load("return redis.call('GET', KEYS[1])"), 1, "sc1"))
t("evalsha-upper", lambda: r.evalsha(r.script_load("return 'up'").upper(), 0))
t("eval-types", lambda: r.eval("return {1, 'two', 3.9, true, false, {err='e1'}, {ok='fine'}, nil, 5}", 0))
t("eval-types-b", lambda: rb.eval("return {1, 'two', {3, {4}}, redis.status_reply('S')}", 0))
t("eval-error", lambda: r.eval("return redis.call('INCR', KEYS[1])", 1, "strkey") if r.set("strkey", "abc") else None)
t("eval-pcall", lambda: r.eval("local ok = redis.pcall('INCR', KEYS[1]) return ok", 1, "strkey"))
t("eval-error-reply", lambda: r.eval("return redis.error_reply('MYERR custom')", 0))
t("eval-syntax", lambda: r.eval("return (", 0))
t("eval-runtime", lambda: r.eval("local x = nil; return x.y", 0))
t("eval-wrongtype", lambda: r.eval("return redis.call('LPUSH', KEYS[1], 'x')", 1, "strkey"))
t("eval-unknown-cmd", lambda: r.eval("return redis.call('NOSUCH')", 0))
t("eval-multikey", lambda: r.eval("redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[2]); return redis.call('MGET', KEYS[1], KEYS[2], KEYS[3])", 3, "mk{a}1", "mk{b}2", "mk3", "v1", "v2"))
t("eval-multikey-read", lambda: r.mget("mk{a}1", "mk{b}2"))
t("eval-ro", lambda: r.eval_ro("return redis.call('GET', KEYS[1])", 1, "mk{a}1"))
t("eval-ro-write", lambda: r.eval_ro("return redis.call('SET', KEYS[1], 'x')", 1, "mk{a}1"))
t("evalsha-ro", lambda: r.evalsha_ro(r.script_load("return redis.call('GET', KEYS[1])"), 1, "mk{b}2"))
t("eval-float-args", lambda: r.eval("return {ARGV[1], tonumber(ARGV[2]) * 2, #KEYS, #ARGV}", 0, 1.5, 21))
t("eval-hash", lambda: r.eval("redis.call('HSET', KEYS[1], 'a', 1, 'b', 2) return redis.call('HGETALL', KEYS[1])", 1, "h1"))
t("eval-resp3", lambda: r.eval("redis.setresp(3) return redis.call('HGETALL', KEYS[1])", 1, "h1"))
t("eval-resp3-map", lambda: r.eval("return {map={a=1}}", 0))
t("eval-resp3-double", lambda: r.eval("return {double=3.5}", 0))
t("eval-json", lambda: r.eval("return cjson.encode({a=cjson.decode(ARGV[1]).x + 1})", 0, '{"x": 41}'))
t("eval-sha1hex", lambda: r.eval("return redis.sha1hex('abc')", 0))
t("eval-expire-in-script", lambda: r.eval("redis.call('SET', KEYS[1], 'v', 'PX', 100000) return redis.call('PTTL', KEYS[1]) > 99000", 1, "ex1"))

# ---- scripts in pipelines ----
def pipe_scripts(tx):
    r.delete("ps1", "ps2"); r.script_flush()
    p = r.pipeline(transaction=tx)
    p.set("ps1", 10)
    incrby(keys=["ps1"], args=[2, "p"], client=p)
    p.eval("return redis.call('GET', KEYS[1])", 1, "ps1")
    incrby(keys=["ps2"], args=[3, "q"], client=p)
    p.get("ps2")
    return p.execute()
t("pipe-tx-script", lambda: pipe_scripts(True))
t("pipe-notx-script", lambda: pipe_scripts(False))
def pipe_script_err(tx):
    p = r.pipeline(transaction=tx)
    p.eval("return redis.call('INCR', KEYS[1])", 1, "strkey")
    p.eval("return 1", 0)
    return p.execute(raise_on_error=False)
t("pipe-tx-script-err", lambda: pipe_script_err(True))
t("pipe-notx-script-err", lambda: pipe_script_err(False))
def pipe_evalsha_noscript():
    p = r.pipeline(transaction=False)
    p.evalsha("a" * 40, 0); p.set("x", 1)
    return p.execute(raise_on_error=False)
t("pipe-evalsha-noscript", pipe_evalsha_noscript)
def watch_script():
    with r.pipeline() as p:
        p.watch("ws"); r.set("ws", 1)
        p.multi(); p.eval("return redis.call('SET', KEYS[1], 'mine')", 1, "ws")
        try: return p.execute()
        except redis.WatchError: return ("WatchError", r.get("ws"))
t("watch-script", watch_script)
def watch_script_ok():
    with r.pipeline() as p:
        p.watch("ws2"); v = p.get("ws2")
        p.multi(); p.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, "ws2", "set")
        return v, p.execute(), r.get("ws2")
t("watch-script-ok", watch_script_ok)
def script_modifies_watched():
    # a script run by another client touches a WATCHed key: EXEC must fail
    with r.pipeline() as p:
        p.watch("ws3")
        redis.Redis(port=port).eval("redis.call('SET', KEYS[1], 'x')", 1, "ws3")
        p.multi(); p.set("ws3", "mine")
        try: return p.execute()
        except redis.WatchError: return ("WatchError", r.get("ws3"))
t("script-touches-watched", script_modifies_watched)

# ---- functions ----
LIB = """#!lua name=mylib
local function hset_ts(keys, args)
  redis.call('HSET', keys[1], args[1], args[2])
  return redis.call('HGET', keys[1], args[1])
end
local function get_ro(keys, args) return redis.call('GET', keys[1]) end
local function cnt(keys, args) return #keys .. ':' .. #args end
redis.register_function('myhset', hset_ts)
redis.register_function{function_name='myget', callback=get_ro, flags={'no-writes'}}
redis.register_function{function_name='mycnt', callback=cnt, description='counts'}
"""
t("function-load", lambda: r.function_load(LIB))
t("function-load-again", lambda: r.function_load(LIB))
t("function-load-replace", lambda: r.function_load(LIB, replace=True))
t("fcall", lambda: r.fcall("myhset", 1, "fh", "f1", "v1"))
t("fcall-ro", lambda: r.fcall_ro("myget", 1, "ps1"))
t("fcall-ro-write", lambda: r.fcall_ro("myhset", 1, "fh", "f1", "v1"))
t("fcall-cnt", lambda: r.fcall("mycnt", 2, "a", "b", "c"))
t("fcall-missing", lambda: r.fcall("nosuchfn", 0))
def libs(raw):
    # FUNCTION LIST as dicts (RESP2 gives flat lists), functions sorted by name: Redis lists a
    # library's functions in its dict's order, which changes from one process to the next.
    d = lambda x: x if isinstance(x, dict) else dict(zip(x[::2], x[1::2]))
    out = []
    for l in raw:
        l = d(l)
        if "functions" in l: l["functions"] = sorted((d(f) for f in l["functions"]), key=lambda f: f["name"])
        out.append(l)
    return out
t("function-list", lambda: libs(r.function_list()))
t("function-list-code", lambda: [l["library_code"] == LIB for l in libs(r.function_list(withcode=True))])
t("function-list-pattern", lambda: (r.function_list(library="nomatch*"), len(r.function_list(library="my*"))))
def fdump():
    d = rb.function_dump(); rb.function_flush(); before = r.function_list()
    out = rb.function_restore(d); return before, out, [l["library_name"] for l in libs(r.function_list())]
t("function-dump-restore", fdump)
t("function-restore-exists", lambda: rb.function_restore(rb.function_dump()))
t("function-stats", lambda: (lambda s: sorted(s) if isinstance(s, dict) else len(s))(r.function_stats()))
def fpipe(tx):
    p = r.pipeline(transaction=tx)
    p.fcall("myhset", 1, "fp", "a", "1"); p.fcall("myget", 1, "ps1"); p.fcall("nosuchfn", 0); p.hgetall("fp")
    return p.execute(raise_on_error=False)
t("fcall-pipe-tx", lambda: fpipe(True))
t("fcall-pipe-notx", lambda: fpipe(False))
t("function-load-bad", lambda: r.function_load("#!lua name=bad\nredis.register_function('x', 5)"))
t("function-load-noname", lambda: r.function_load("return 1"))
t("function-load-syntax", lambda: r.function_load("#!lua name=bad2\nlocal ("))
t("function-delete", lambda: r.function_delete("mylib"))
t("function-delete-missing", lambda: r.function_delete("mylib"))
t("function-list-empty", lambda: r.function_list())
t("dbsize", lambda: r.dbsize())
