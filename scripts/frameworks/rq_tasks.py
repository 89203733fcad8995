"""Job functions for rq_jobs.py (a module the worker process imports by name)."""
import os, redis

def _r():
    return redis.Redis(port=int(os.environ["FW_PORT"]), decode_responses=True)

def add(a, b):
    return a + b

def boom(msg):
    raise ValueError(msg)

def flaky(key, fail_times):
    """Fails its first fail_times runs (counted in Redis), then returns the run number."""
    n = _r().incr(key)
    if n <= fail_times:
        raise RuntimeError(f"run {n} fails")
    return n

def record(key, value):
    """Appends value to a list, so the order jobs ran in can be checked."""
    _r().rpush(key, value)
    return value
