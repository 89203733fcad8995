"""Django's cache with its Redis backend against a server: set/get/add, set_many with and
without timeouts (a MULTI/EXEC pipeline), get_many, incr/decr, touch, delete_many, clear.

usage: python3 django_cache.py PORT
"""
import sys, django, time
from django.conf import settings
settings.configure(CACHES={"default":{"BACKEND":"django.core.cache.backends.redis.RedisCache","LOCATION":f"redis://127.0.0.1:{sys.argv[1]}/0"}})
django.setup()
from django.core.cache import cache
def t(n,f):
    try: print(n,"->",repr(f()))
    except Exception as e: print(n,"EXC",type(e).__name__,e)
t("clear0", cache.clear)
t("set", lambda: cache.set("a", {"x":1}, timeout=30))
t("get", lambda: cache.get("a"))
t("add-existing", lambda: cache.add("a", 2))
t("add-new", lambda: cache.add("b", 2, timeout=5))
t("set_many", lambda: cache.set_many({"k1":1,"k2":"two","k3":[3]}, timeout=10))
t("get_many", lambda: cache.get_many(["k1","k2","k3","nope"]))
t("ttl-check", lambda: cache._cache.get_client("k1").ttl(cache.make_and_validate_key("k1")))
t("set_many-none-timeout", lambda: cache.set_many({"p1":1,"p2":2}, timeout=None))
t("ttl-none", lambda: cache._cache.get_client("p1").ttl(cache.make_and_validate_key("p1")))
t("set_many-0-timeout", lambda: cache.set_many({"z1":1,"z2":2}, timeout=0))
t("get z1", lambda: cache.get_many(["z1","z2"]))
t("incr-new", lambda: (cache.set("n", 5), cache.incr("n"), cache.incr("n", 10), cache.decr("n"))[1:])
t("incr-missing", lambda: cache.incr("missing"))
t("incr-big", lambda: (cache.set("big", 10**20), cache.incr("big"))[1])
t("touch", lambda: cache.touch("a", 100))
t("has_key", lambda: cache.has_key("a"))
t("delete", lambda: cache.delete("b"))
t("delete_many", lambda: cache.delete_many(["k1","k2","k3"]))
t("get_many-after", lambda: cache.get_many(["k1","k2","k3"]))
t("get_or_set", lambda: cache.get_or_set("gos", lambda: 42, 10))
t("clear", cache.clear)
t("get-after-clear", lambda: cache.get("a"))
