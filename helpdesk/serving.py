"""Process settings for a long-running server (gunicorn worker or `python wsgi.py`)."""

import gc


def tune_garbage_collector() -> None:
    """Freeze the startup objects out of the collector's sight; keep its passes short.

    The app's modules, models and compiled statements live as long as the process. Every
    collector pass stalls all of the process's sockets for as long as it takes, so young
    passes stay small (5,000 objects: about a millisecond; 50,000 took 11-30 ms) and the
    full pass is rare. In bench/chat.py's steady phase chat p99 is about 20-35 ms with
    these settings (gevent worker), 18-39 ms with 50,000 and about 88 ms with defaults.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(5_000, 10, 100)
