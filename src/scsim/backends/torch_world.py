"""Where a TorchSimulation's world comes from, and where it goes (``TorchWorld``, a mixin of
``torch_backend.TorchSimulation``).

- from a numpy ``Simulation`` (``_load``: population, network and carried state copied to the
  device; what ``TorchSimulation(scenario)``, ``from_simulation`` and each generation use);
- drawn on the device (``synthetic``: the population's distributions and a Watts-Strogatz
  network with torch, then ``Simulation.__init__``'s initial state), for sizes where the CPU
  builder is too slow;
- back to numpy (``population()``, ``to_simulation()``, and through it the checkpoints).

The host class supplies what only depends on the scenario (``_setup``: ``Simulation.configure``,
the device, ``attr_dtype``) and the score's pieces the initial state needs (``_purchases``,
``_own_components``, ``_standalone_score``).
"""

from __future__ import annotations

import math
from typing import Self

import numpy as np
import torch

from .. import metrics as mx
from .. import state
from ..engine import Simulation
from ..errors import InputError
from ..population import OCC, Population
from ..scenario import OCCUPATIONS, Scenario
from .torch_draws import signed
from .torch_network import TorchNetwork, watts_strogatz
from .torch_ops import BOOL, F32, F64, I64, U8, numpy_copy

def device_dtype(a: state.StateArray) -> torch.dtype:
    """A carried array's dtype on the device."""
    return getattr(torch, a.device_dtype)


def _scalars(sim, arrays: tuple[state.StateArray, ...]) -> dict:
    """The carried state that is not per citizen (scsim.state), as Python numbers (arrays copied)."""
    values = {}
    for a in arrays:
        if not a.per_citizen:
            v = np.asarray(getattr(sim, a.name))
            values[a.name] = v.copy() if v.ndim else v.item()
    return values


# Population columns the step reads; the static ones take attr_dtype.
_ATTRS = ("tau", "reliability", "capacity", "status_seeking", "privacy_cost", "income")


class TorchWorld:
    """Building a TorchSimulation's state on the device, and copying it back to numpy."""

    cpu_class = Simulation  # the CPU engine with the same phases (a subclass that adds a rule names its own)

    # ------------------------------------------------------------------ from a numpy simulation
    def _t(self, a, dtype) -> torch.Tensor:
        """A device copy (never a view of the numpy array: the step updates state in place)."""
        return torch.tensor(np.ascontiguousarray(a), dtype=dtype, device=self.device)

    def _load(self, sim: Simulation, copy_population: bool = False) -> None:
        """Copy a numpy simulation's population, network and carried state to the device.
        The CPU population is kept (columns the device does not hold); ``copy_population``
        copies it first, so that the source simulation and this one never share an array."""
        pop = sim.pop
        if copy_population:
            pop = Population(**{k: v.copy() if isinstance(v, np.ndarray) else v for k, v in vars(pop).items()})
        self.pop = pop
        for name, value in _scalars(sim, self.STATE).items():
            setattr(self, name, value)
        self.provocateur = self._t(pop.provocateur, BOOL)
        for name in _ATTRS:
            setattr(self, name, self._t(getattr(pop, name), self.attr_dtype))
        self.base_shares = self._t(pop.base_shares.T, self.attr_dtype)  # (categories, n): one column at a time
        self.history = self._t(pop.history, F64)
        self.occupation = self._t(pop.occupation, U8)
        self.tertiary = self._t(pop.tertiary, BOOL)
        self.high = self._t(pop.tau >= mx.HIGH_TAU, BOOL)
        self.net = TorchNetwork.from_numpy(sim.net, self.device)
        for a in self.STATE:
            if a.per_citizen:
                setattr(self, a.name, self._t(np.asarray(getattr(sim, a.name)), device_dtype(a)))
        self.ids = torch.arange(self.n, device=self.device)

    # ------------------------------------------------------------------ synthetic worlds
    @classmethod
    def synthetic(cls, scenario: Scenario, citizens: int | None = None, device=None, *, attr_dtype=F32,
                  net_metrics_limit: int = 2_000_000, chunk: int = 1 << 22) -> Self:
        """Population and Watts-Strogatz network drawn directly on ``device`` (no households:
        every tie is a friendship). Same distributions as the CPU builder, different draws:
        statistically equivalent, not bit-identical. For sizes where the CPU builder is too slow
        (the 100M-citizen GPU benchmark)."""
        n = int(citizens or scenario.population.citizens)
        if scenario.network.model != "watts-strogatz":
            raise InputError("TorchSimulation.synthetic builds watts-strogatz networks, "
                                      f"not {scenario.network.model}")
        if n != scenario.population.citizens:
            scenario = scenario.with_overrides(**{"population.citizens": n})
        self = object.__new__(cls)
        self._setup(scenario, device, attr_dtype, net_metrics_limit)
        self.n, self.month = n, 0
        gen = torch.Generator(device=self.device).manual_seed(int(self.streams.key("population")) & (2**63 - 1))
        self._draw_population(gen)
        self.provocateur = torch.zeros(n, dtype=BOOL, device=self.device)
        count = int(round(scenario.provocateurs.share * n)) if scenario.provocateurs.enabled else 0
        if count:  # planted uniformly at random (own stream: the rest of the world is unchanged)
            plant = torch.Generator(device=self.device).manual_seed(
                int(self.streams.key("provocateurs")) & (2**63 - 1))
            self.provocateur[torch.randperm(n, generator=plant, device=self.device)[:count]] = True
        nw = scenario.network
        key = signed(self.streams.key("network"))
        self.net = watts_strogatz(n, nw.mean_degree, nw.rewire, key, self.device, chunk)
        self.ids = torch.arange(n, device=self.device)
        self._initial_state()
        return self

    def _draw_population(self, gen: torch.Generator) -> None:
        """scsim.population.make_population's distributions, drawn with torch."""
        p, n, dev, A = self.sc.population, self.n, self.device, self.attr_dtype

        def beta(a, b):
            ga = torch._standard_gamma(torch.full((n,), float(a), dtype=F32, device=dev), generator=gen)
            gb = torch._standard_gamma(torch.full((n,), float(b), dtype=F32, device=dev), generator=gen)
            return ga / (ga + gb)

        def normal():
            return torch.randn(n, dtype=F32, device=dev, generator=gen)

        tau = beta(p.tau_alpha, p.tau_beta)
        self.high = tau >= mx.HIGH_TAU
        rho = p.income_asset_correlation
        z_inc = normal()
        z_ast = rho * z_inc + math.sqrt(1 - rho * rho) * normal()
        self.income = (p.income_median * torch.exp(p.income_sigma * z_inc)).to(A)
        capacity = torch.special.ndtr((z_inc + z_ast) / math.sqrt(2 + 2 * rho))
        del z_inc, z_ast
        reliability = beta(p.reliability_alpha, p.reliability_beta)
        self.history = torch.clamp(reliability.to(F64) + 0.02 * normal().to(F64), 0, 1)
        order = torch.argsort(capacity + 0.15 * normal(), descending=True)
        self.occupation = torch.zeros(n, dtype=U8, device=dev)
        pos = 0
        for name in ("official", "reporter", "ceo", "statistician"):
            count = int(round(getattr(p, f"{name}_share") * n))
            self.occupation[order[pos : pos + count]] = OCC[name]
            pos += count
        order = torch.argsort(capacity + 0.3 * normal(), descending=True)
        self.tertiary = torch.zeros(n, dtype=BOOL, device=dev)
        self.tertiary[order[: int(round(p.tertiary_share * n))]] = True
        del order
        self.status_seeking = beta(p.status_alpha, p.status_beta).to(A)
        self.privacy_cost = (p.privacy_cost + p.privacy_cost_tau * tau.to(F64)).to(A)
        cats = self.sc.purchases.categories
        mean = np.array([c.share for c in cats], np.float64)
        mean /= mean.sum()
        shares = torch.stack([torch._standard_gamma(torch.full((n,), float(self.sc.purchases.concentration * m),
                                                                dtype=F32, device=dev), generator=gen) for m in mean])
        self.base_shares = (shares / shares.sum(0).clamp_min(1e-30)).to(A)
        self.tau, self.capacity, self.reliability = tau.to(A), capacity.to(A), reliability.to(A)

    def _initial_state(self) -> None:
        """Simulation.__init__'s initial state, from the device population and network."""
        n, dev = self.n, self.device
        friend_slots = int(((self.net.kind == 0) & (self.net.nbr >= 0)).sum().item())
        self.form_rate = self.sc.behaviour.ties.churn * (friend_slots // 2) / n
        self.quota = torch.bincount(self.occupation.to(I64), minlength=len(OCCUPATIONS)).cpu().numpy()
        self.arrest_risk = 0.0
        self.generation = 0
        for a in self.STATE:  # the arrays with a fixed initial value (scsim.state), then the rest
            if a.per_citizen and a.fill is not None:
                setattr(self, a.name, torch.full(a.shape(n), a.fill, dtype=device_dtype(a), device=dev))
        self._purchases(torch.zeros(n, dtype=BOOL, device=dev), torch.zeros(n, dtype=F64, device=dev), 0.0, 0.0, 0.0,
                        self.regime.thresholds, self.regime.values, 0.0, 0.0, 1.0)
        self.own = self._own_components()
        self.score = self._standalone_score(self.own)
        if self.mandatory_step is not None and self.mandatory_step <= 0:
            self.opted[:] = True
            self.s_pub = self.score.to(F32)
        self.own_ref = self.score.clone()

    # ------------------------------------------------------------------ back to numpy
    def population(self) -> Population:
        """The population as CPU columns, with the month's repayment records and positions.
        (A synthetic world holds only what the step reads: assets and age are NaN there.)"""
        cpu = numpy_copy
        if self.pop is not None:
            cols = {k: v for k, v in vars(self.pop).items()}
            cols["history"], cols["occupation"] = cpu(self.history), cpu(self.occupation)
            return Population(**cols)
        nan = np.full(self.n, np.nan)
        return Population(
            tau=cpu(self.tau).astype(np.float64), income=cpu(self.income).astype(np.float64), assets=nan,
            capacity=cpu(self.capacity).astype(np.float64), reliability=cpu(self.reliability).astype(np.float64),
            history=cpu(self.history), occupation=cpu(self.occupation), tertiary=cpu(self.tertiary),
            status_seeking=cpu(self.status_seeking).astype(np.float64),
            privacy_cost=cpu(self.privacy_cost).astype(np.float64),
            base_shares=np.ascontiguousarray(cpu(self.base_shares).T.astype(np.float32)), age=nan.copy(),
            generation=np.zeros(self.n, np.int16), household=np.arange(self.n, dtype=np.int32),
            provocateur=cpu(self.provocateur))

    def to_simulation(self) -> Simulation:
        """A numpy Simulation in this state (for checkpoints, or to carry on on the CPU)."""
        sim = object.__new__(self.cpu_class)
        sim.configure(self.sc)
        for name, value in _scalars(self, self.STATE).items():
            setattr(sim, name, value)
        for a in (a for a in self.STATE if a.per_citizen):  # (published scores: float32 values in float64 arrays)
            setattr(sim, a.name, numpy_copy(getattr(self, a.name)).astype(a.dtype, copy=False))
        sim.net = self.net.to_numpy()
        sim.pop = self.population()
        sim.flows = None
        sim.timings = []
        return sim

    def checkpoint_arrays(self) -> dict:
        """The CPU engine's checkpoint (a resumed run continues on the CPU engine, identically
        up to float rounding)."""
        return self.to_simulation().checkpoint_arrays()

    def save_checkpoint(self, path) -> None:
        self.to_simulation().save_checkpoint(path)
