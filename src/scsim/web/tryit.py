""""Try it": small runs started from the site, one at a time, into a scratch folder.

A form picks a preset and a handful of key parameters; the scenario is validated like a
scenario file (``Scenario.with_overrides``), queued (at most ``MAX_QUEUED`` waiting), run on one
background thread month by month (so its page can show the progress), and then served like any
run. Bounds: ``MAX_CITIZENS`` citizens, ``MAX_KEPT`` finished runs (the oldest is removed), and
at least ``MIN_FREE`` bytes free on the scratch folder's disk before a run starts. Nothing is
written outside the scratch folder.
"""

from __future__ import annotations

import itertools
import queue
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..scenario import load_preset, preset_names

MAX_CITIZENS = 50_000
MAX_MONTHS = 180
MAX_QUEUED = 3
MAX_KEPT = 5
MIN_FREE = 1 << 30
# the form's fields: name -> (scenario key, kind); "yes"/"no" fields are booleans
FIELDS = {"citizens": ("population.citizens", int), "months": ("run.months", int), "seed": ("run.seed", int),
          "association_points": ("scoring.association.points", float),
          "register_public": ("register.public", bool), "sanctions": ("sanctions.enabled", bool)}


@dataclass
class Job:
    id: int
    preset: str
    overrides: dict
    state: str = "queued"  # queued, running, done, failed
    month: int = 0
    months: int = 0
    message: str = ""
    name: str = ""  # the served run's name, once done


def parse_form(form: dict) -> tuple[str, dict]:
    """(preset, overrides) from the form, or an InputError naming the field."""
    preset = form.get("preset") or "social-credit-2020"
    if preset not in preset_names():
        raise InputError(f"preset: '{preset[:40]}' is not one of {', '.join(preset_names())}")
    over = {}
    for field, (key, kind) in FIELDS.items():
        text = (form.get(field) or "").strip()
        if not text:
            continue
        if len(text) > 20:
            raise InputError(f"{field}: too long")
        if kind is bool:
            if text not in ("yes", "no"):
                raise InputError(f"{field}: '{text}' is not yes or no")
            over[key] = text == "yes"
            continue
        try:
            over[key] = kind(text)
        except ValueError:
            raise InputError(f"{field}: '{text}' is not a number") from None
    citizens = over.get("population.citizens", 5000)
    if not 100 <= citizens <= MAX_CITIZENS:
        raise InputError(f"citizens: {citizens} is outside 100..{MAX_CITIZENS:,} (Try it runs small scenarios)")
    over["population.citizens"] = citizens
    months = over.setdefault("run.months", 84)
    if not 1 <= months <= MAX_MONTHS:
        raise InputError(f"months: {months} is outside 1..{MAX_MONTHS}")
    sc = load_preset(preset)
    if sc.network.model == "edgelist":
        raise InputError(f"preset: {preset} runs on an edge list; pick a generated network")
    try:
        sc.with_overrides(**over)
    except InputError as e:
        raise InputError(str(e).replace("overrides: ", "")) from None
    return preset, over


class TryIt:
    """The queue and its one worker thread; finished runs are added to ``sources`` via ``add``."""

    def __init__(self, scratch: Path, add, remove):
        self.scratch = Path(scratch)
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.add, self.remove = add, remove  # add(folder, name) -> served name; remove(name)
        self.jobs: dict[int, Job] = {}
        self.ids = itertools.count(1)
        self.queue: queue.Queue[Job] = queue.Queue()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._work, name="scsim-try", daemon=True)
        self.thread.start()

    def submit(self, preset: str, overrides: dict) -> Job:
        with self.lock:
            waiting = sum(j.state in ("queued", "running") for j in self.jobs.values())
            if waiting > MAX_QUEUED:
                raise InputError(f"the queue is full ({waiting} runs waiting or running): try again in a minute")
            job = Job(next(self.ids), preset, overrides, months=overrides["run.months"])
            self.jobs[job.id] = job
        self.queue.put(job)
        return job

    def _work(self) -> None:
        while True:
            job = self.queue.get()
            try:
                self._run(job)
            except InputError as e:
                job.state, job.message = "failed", str(e)
            except Exception as e:  # noqa: BLE001  shown on the job's page; the server goes on
                job.state, job.message = "failed", f"the run failed: {type(e).__name__}: {e}"

    def _run(self, job: Job) -> None:
        from ..backends import make_simulation
        from ..store import RunWriter

        if shutil.disk_usage(self.scratch).free < MIN_FREE:
            raise InputError("not enough free disk in the scratch folder")
        self._evict()
        sc = load_preset(job.preset).with_overrides(**job.overrides)
        folder = self.scratch / f"try-{job.id}"
        job.state = "running"
        t0 = time.perf_counter()
        sim = make_simulation(sc, "numpy", None, None)
        writer = RunWriter(folder, sc, sc.run.snapshot_every)
        try:
            while sim.month < sc.run.months:
                sim.run(store=writer, months=1)
                job.month = sim.month
            writer.finish(sim, time.perf_counter() - t0)
        except BaseException:
            writer.abort()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        job.name = self.add(folder, f"try-{job.id}")
        job.state = "done"

    def _evict(self) -> None:
        """Keep at most MAX_KEPT - 1 finished runs before a new one starts (oldest first)."""
        done = sorted((j for j in self.jobs.values() if j.state == "done"), key=lambda j: j.id)
        for job in done[: max(0, len(done) - (MAX_KEPT - 1))]:
            self.remove(job.name)
            shutil.rmtree(self.scratch / f"try-{job.id}", ignore_errors=True)
            job.state, job.message = "removed", "removed to make room for newer runs"
