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


def post_fork(server, worker):
    """Tell the app which async mode its worker runs, before the worker imports it.

    The app reads it at import (config.py): under the gevent worker it must be gevent, or
    websocket connections time out; under another worker given on the command line
    (`-k sync`, as benchmarks run it), gevent would be wrong.
    """
    if worker.cfg.worker_class_str == "gevent":
        os.environ["SOCKETIO_ASYNC_MODE"] = "gevent"


def post_worker_init(worker):
    """Start the scheduler tick in the worker, as `python wsgi.py` does in its process.

    Every process runs its own tick; that is safe (each job is idempotent, claimed by
    conditional updates). Set SCHEDULER_ENABLED=0 to run ticks elsewhere.
    """
    from helpdesk import scheduler
    from helpdesk.serving import tune_garbage_collector

    tune_garbage_collector()
    scheduler.start(worker.wsgi)
    if worker.wsgi.config.get("SCHEDULER_ENABLED"):
        worker.log.info("scheduler tick started (every %.0f s)", scheduler.interval(worker.wsgi))
