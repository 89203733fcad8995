"""A tiny Celery app for celery_run.py: Redis broker and result backend on 127.0.0.1:$FW_PORT."""
import os
from celery import Celery
port = os.environ.get("FW_PORT", "6379")
app = Celery("celery_app", broker=f"redis://127.0.0.1:{port}/0", backend=f"redis://127.0.0.1:{port}/1")
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                broker_connection_retry_on_startup=False, broker_connection_max_retries=1,
                result_expires=600, worker_hijack_root_logger=False)
if os.environ.get("FW_NO_PUBSUB"):
    # Keeps the worker off PUBLISH/SUBSCRIBE (remote control, mingle and gossip use them), so the
    # rest can be checked on a server without Pub/Sub; results are then polled, not awaited.
    # The result backend PUBLISHes each result in the MULTI that stores it: store it without.
    app.conf.worker_enable_remote_control = False
    from celery.backends.redis import RedisBackend
    def _set(self, key, value, expires=None):
        expires = self.expires if expires is None else expires
        if expires: self.client.setex(key, expires, value)
        else: self.client.set(key, value)
    RedisBackend._set = _set

@app.task
def add(x, y):
    return x + y

@app.task
def tsum(xs):
    return sum(xs)

@app.task
def fail(msg):
    raise ValueError(msg)

@app.task(bind=True, max_retries=3, default_retry_delay=0)
def flaky(self, key, fail_times):
    import redis
    n = redis.Redis(port=int(port)).incr(key)
    if n <= fail_times:
        raise self.retry(exc=RuntimeError(f"run {n}"), countdown=0)
    return n
