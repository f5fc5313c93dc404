"""The state the months carry, declared once.

Every array (and the few scalars) a simulation carries from one month to the next is one
``StateArray`` in ``STATE``: its name (the attribute of either backend), its dtype on the CPU
engine and, where it differs, on the torch backend, its initial value, what a generation does to
it, and whether it holds citizen ids. Checkpoints, resume, the torch backend's tensors, the
initial state and a generation's re-indexing are all derived from this table; state a phase
rebuilds every month is not carried and is not here. The population's columns
(``scsim.population.Population``) and the network's slots (``scsim.network.Network``) are
carried by their own structures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEVER_POSTED = -(10**6)  # last_post of a citizen who never posted (far outside any window)
CITIZEN, SCALAR = "citizen", "scalar"


@dataclass(frozen=True)
class StateArray:
    name: str
    dtype: str  # NumPy dtype on the CPU engine
    doc: str
    kind: str = CITIZEN  # CITIZEN: one value per citizen along the last axis; SCALAR: not per citizen
    rows: int = 0  # > 0: a (rows, n) array (one row per own score component)
    fill: float | None = 0  # initial value; None: computed when the world is built
    device: str | None = None  # the torch backend's dtype where it differs from ``dtype``
    at_generation: float | None = None  # set to this value when a generation turns over
    holds_ids: bool = False  # citizen ids (-1: none), renumbered when a generation resizes

    @property
    def per_citizen(self) -> bool:
        return self.kind == CITIZEN

    @property
    def device_dtype(self) -> str:
        return self.device or self.dtype

    def shape(self, n: int) -> tuple[int, ...]:
        return (self.rows, n) if self.rows else (n,)


STATE: tuple[StateArray, ...] = (
    StateArray("month", "int64", "months done so far (the next month to run)", SCALAR),
    StateArray("n", "int64", "citizens (a generation may change it)", SCALAR, fill=None),
    StateArray("form_rate", "float64", "new ties sought per citizen a month (balances churn)", SCALAR, fill=None),
    StateArray("quota", "int64", "positions of each occupation (scaled with the population)", SCALAR, fill=None),
    StateArray("tilt", "float64", "how far spending leans towards approved categories (log-odds)"),
    StateArray("behaviour_x", "float64", "the behaviour component's input: approved share of spending, in [0, 1]"),
    StateArray("own", "float64", "points of the four components that depend on the citizen alone", rows=4, fill=None),
    StateArray("score", "float64", "this month's computed score", fill=None),
    StateArray("assoc", "float64", "association points (friends' scores or penalties)"),
    StateArray("political", "float64", "political penalty record (decays; subtracted)", at_generation=0),
    StateArray("clamp", "float64", "points lost or gained by clamping the score to [lo, hi]"),
    StateArray("opted", "bool", "scored (opted in, or mandatory)"),
    StateArray("s_pub", "float64", "published score (float32 values; NaN: not scored)", fill=np.nan, device="float32"),
    StateArray("s_pub_prev", "float64", "last month's published score", fill=np.nan, device="float32"),
    StateArray("own_ref", "float64", "the score each citizen compared itself with (its own last score)", fill=None),
    StateArray("sanctioned", "bool", "below the sanction line this month"),
    StateArray("last_post", "int32", "month of the last unapproved post", fill=NEVER_POSTED, at_generation=NEVER_POSTED),
    StateArray("worst", "int32", "the friend who drags the score most, if listed (-1: none)", fill=-1, holds_ids=True),
    StateArray("worst_drag", "float64", "points that friend costs"),
    StateArray("worst_kind", "uint8", "that tie's kind (0 friend, 1 family)"),
    StateArray("drag_unit", "float64", "points one point of a friend's gap costs (association scale)"),
    StateArray("listed", "bool", "on the public register (drags some friend by at least register.min_drag)"),
    StateArray("peer_share", "float64", "share of friends who posted unapproved content last month"),
    StateArray("pub_weight", "float64", "weighted count of published friends (association's denominator)"),
    StateArray("arrested", "bool", "removed by the provocateur regime", at_generation=False),
    StateArray("reported", "bool", "on file with the provocateurs, not yet arrested", at_generation=False),
    StateArray("generation", "int64", "generations so far", SCALAR),
    StateArray("arrest_risk", "float64", "what citizens believe a dissenter's monthly risk of arrest is", SCALAR),
)
BY_NAME = {a.name: a for a in STATE}
NAMES = tuple(BY_NAME)
PER_CITIZEN = tuple(a for a in STATE if a.per_citizen)


def initial_arrays(n: int, arrays: tuple[StateArray, ...] = STATE) -> dict[str, np.ndarray]:
    """The per-citizen arrays with a fixed initial value (the rest are computed by the builder)."""
    return {a.name: np.full(a.shape(n), a.fill, a.dtype) for a in arrays if a.per_citizen and a.fill is not None}


def reindex(sim, src: np.ndarray, new_id: np.ndarray, arrays: tuple[StateArray, ...] = STATE) -> None:
    """Re-index every per-citizen array of ``sim`` by ``src`` (a generation's resize): place k of
    the new population is place ``src[k]`` of the old; ids are renumbered by ``new_id`` (-1 for
    a citizen who is gone)."""
    for a in arrays:
        if not a.per_citizen:
            continue
        col = np.ascontiguousarray(getattr(sim, a.name)[..., src])
        if a.holds_ids:
            col = np.where(col >= 0, new_id[np.maximum(col, 0)], -1).astype(a.dtype)
        setattr(sim, a.name, col)


def new_generation(sim, arrays: tuple[StateArray, ...] = STATE) -> None:
    """What a generation resets: the record of the parents' speech and arrests."""
    for a in arrays:
        if a.per_citizen and a.at_generation is not None:
            getattr(sim, a.name)[:] = a.at_generation
