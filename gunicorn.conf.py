"""Gunicorn settings for one production server process: `gunicorn -c gunicorn.conf.py wsgi:app`.

One gevent worker per process (Socket.IO keeps a connection's state in its worker); scale
by running several processes on different ports behind a proxy, all with the same
SECRET_KEY, DATABASE_URL, SOCKETIO_MESSAGE_QUEUE and SOCKETIO_CHANNEL. See README,
"Production".
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gevent"
workers = 1
# Several gunicorn instances on one machine would otherwise share one control socket
# (~/.gunicorn/gunicorn.ctl); nothing here uses gunicornc.
control_socket_disable = True
# Websocket connections are long-lived: the worker's timeout is about liveness, not requests.
timeout = 60
graceful_timeout = 20
accesslog = "-"
errorlog = "-"

# The app reads its async mode at import (config.py): it must match the gevent worker, or
# websocket connections time out.
os.environ["SOCKETIO_ASYNC_MODE"] = "gevent"


def post_worker_init(worker):
    """Start the scheduler tick in the worker, as `python wsgi.py` does in its process.

    Every process runs its own tick; that is safe (each job is idempotent, claimed by
    conditional updates). Set SCHEDULER_ENABLED=0 to run ticks elsewhere.
    """
    import gc

    # The app's modules, models and compiled statements live as long as the worker: freeze
    # them out of the collector's sight, and rarely run the full collection. Every pass
    # stalls all of the worker's sockets for as long as it takes, so young passes stay
    # short (5,000 objects: about a millisecond; 50,000 took 11-30 ms). In bench/chat.py's
    # steady phase chat p99 is about 20 ms with these settings, 18-39 ms with 50,000.
    gc.collect()
    gc.freeze()
    gc.set_threshold(5_000, 10, 100)
    from helpdesk import scheduler

    scheduler.start(worker.wsgi)
    if worker.wsgi.config.get("SCHEDULER_ENABLED"):
        worker.log.info("scheduler tick started (every %d s)", scheduler.TICK_SECONDS)
