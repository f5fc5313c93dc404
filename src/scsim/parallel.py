"""Runs side by side on Dask: the cluster from the command line's options, and running jobs on it.

``compare``, ``study`` and ``sweep`` take the same options: ``--workers N`` (a local cluster of N
single-threaded processes, the machine's cores shared out among them as Numba threads),
``--scheduler ADDRESS`` (an existing cluster, connected before anything is written) and
``--connect-timeout S``. A run depends only on its scenario and seed, so where the runs go does
not change the results.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading

from .errors import InputError


def check_address(scheduler: str, what: str) -> None:
    """A scheduler address Dask can parse (scheme, host, port), checked before a ``Client`` is
    made: a client that fails on a malformed address prints a traceback when it is collected."""
    from distributed.comm import get_address_host_port, parse_address

    address = scheduler if "://" in scheduler else f"tcp://{scheduler}"
    try:
        scheme, _ = parse_address(address, strict=True)
        if scheme != "inproc":
            _, port = get_address_host_port(address)
            if not 0 < int(port) < 65536:
                raise ValueError(f"port {port} is not in 1..65535")
    except (ValueError, TypeError) as e:
        raise InputError(f"{what}: --scheduler {scheduler}: not a scheduler address such as tcp://host:8786 "
                         f"({str(e).splitlines()[0]})") from None


def connect(scheduler: str, timeout: float, what: str = "scsim sweep"):
    """A client of an existing cluster; a malformed or unreachable address is bad input."""
    from distributed import Client

    check_address(scheduler, what)
    try:
        return Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, ValueError, TypeError) as e:
        raise InputError(f"{what}: --scheduler {scheduler}: cannot connect ({str(e).splitlines()[0]})") from None


def check_cluster_options(workers: int | None, scheduler: str | None, connect_timeout: float, what: str) -> None:
    """--workers / --scheduler / --connect-timeout as given to sweep, compare or study."""
    if workers is not None and workers < 1:
        raise InputError(f"{what}: --workers must be at least 1")
    if scheduler and workers is not None:
        raise InputError(f"{what}: give --workers or --scheduler, not both")
    if not connect_timeout > 0:
        raise InputError(f"{what}: --connect-timeout must be positive")


def cluster(workers: int | None, scheduler: str | None, connect_timeout: float = 10.0, what: str = "scsim"):
    """Where ``map_runs`` runs, from the command line's --workers / --scheduler: a context
    manager giving a client of the cluster at ``scheduler`` (connected now, so that a bad address
    fails before anything is written), or None (map_runs then starts a local cluster of
    ``workers`` processes if more than one, else runs in this process)."""
    check_cluster_options(workers, scheduler, connect_timeout, what)
    if scheduler:
        return connect(scheduler, connect_timeout, what)
    return contextlib.nullcontext(None)


def set_numba_threads(threads: int) -> None:
    """``threads`` Numba threads in this process from now on (at least one, at most as many as Numba has)."""
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))


def _with_threads(threads: int, fn, *args):
    """fn(*args) with ``threads`` Numba threads (on a worker: the cores shared out)."""
    set_numba_threads(threads)
    return fn(*args)


def map_runs(fn, jobs: list[tuple], progress: bool = False, workers: int | None = None, client=None) -> list:
    """``[fn(*job) for job in jobs]``, in the jobs' order, wherever they ran: on ``client``'s
    cluster if given (one Numba thread a run), else on a local cluster of ``workers`` processes
    if more than one (the cores shared out), else here, one after the other. A run depends only
    on its scenario and seed, so the results are the same either way (``compare`` and ``study``
    use this; ``run_sweep`` streams its runs to files instead)."""
    from .progress import count_progress

    if progress and client is None:  # a local first run compiles before its first result: say so
        from .kernels import notice

        notice()
    results: list = [None] * len(jobs)
    with count_progress(progress, len(jobs), "runs") as advance:
        if client is None and (workers or 1) <= 1 or not jobs:
            for k, job in enumerate(jobs):
                results[k] = fn(*job)
                advance()
            return results
        from distributed import as_completed

        with contextlib.ExitStack() as stack:
            client, threads = client_and_threads(stack, client, int(workers or 1), len(jobs))
            futures = {client.submit(_with_threads, threads, fn, *job, pure=False): k for k, job in enumerate(jobs)}
            for future in as_completed(futures, loop=client.loop):
                results[futures[future]] = future.result()
                advance()
    return results


def client_and_threads(stack: contextlib.ExitStack, client, workers: int, jobs: int):
    """Where runs go and how many Numba threads each gets: a given cluster's workers already
    share out its cores (one thread a run); otherwise a local cluster of min(workers, jobs)
    processes, started here (closed with ``stack``), shares out this machine's."""
    if client is not None:
        return client, 1
    n = min(workers, jobs)
    return stack.enter_context(local_client(n)), numba_threads(n)


@contextlib.contextmanager
def local_client(workers: int):
    """A local cluster of single-threaded worker processes (one run at a time each)."""
    from distributed import Client, LocalCluster

    with _ctrl_c_ignored():  # by the worker processes started here
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.CRITICAL)  # a failed run is scsim's to report, in one line
    with cluster, Client(cluster, set_as_default=False) as client:
        yield client


@contextlib.contextmanager
def _ctrl_c_ignored():
    """Processes started inside inherit an ignored Ctrl-C (an ignored signal, unlike a handler,
    survives their exec), so that only the driver handles it, closing the cluster: an
    interrupted sweep ends with one line, not a traceback per worker. Meanwhile the main
    thread holds SIGINT blocked: a Ctrl-C during the cluster's start (a second or two) then
    waits, pending, and is handled (one line, 130) once the start is over, unless the kernel
    hands it to another thread that does not block it (OpenBLAS's, started with NumPy), where
    the ignored signal is lost: press it again. (Blocking alone does not protect the workers:
    their start unblocks it.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    blocked = hasattr(signal, "pthread_sigmask")
    if blocked:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)  # the handler back first, then a pending Ctrl-C reaches it
        if blocked:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def numba_threads(workers: int) -> int:
    """Cores shared out among local workers, so that they do not oversubscribe the machine."""
    return max(1, (os.cpu_count() or 1) // workers)
