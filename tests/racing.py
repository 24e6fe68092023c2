"""Running callables at the same moment, each thread on its own database connection: the
races the PostgreSQL-only tests start."""

import threading

from django.db import connection


def race(callables):
    """Start all callables together; return what each returned or raised."""
    barrier = threading.Barrier(len(callables))
    outcomes = [None] * len(callables)

    def run(index, fn):  # each thread has its own database connection
        try:
            barrier.wait()
            outcomes[index] = fn()
        except Exception as error:  # the outcome is what is asserted
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes
