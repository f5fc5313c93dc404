"""The REFERENCE.md model written idiomatically in Mesa 3.x (agents hold friend lists).

Why it exists: Mesa is what a researcher would otherwise reach for, so its speed on the same
small model, graph and machine is the yardstick for scsim's speed. Written the way the Mesa
tutorials write models (an Agent subclass with methods, ``AgentSet.shuffle_do``/``do``), not
tuned: tuning it would no longer measure the tool a researcher gets.

Synchronous update (REFERENCE.md): in ``decide`` every citizen reads start-of-step scores and
friend lists and stores its next score and the friend it drops; ``apply`` commits both. The
unfriending rule reads start-of-step scores, as in numpy_reference.py.

    python benchmarks/peers/mesa_reference.py --citizens 100000 --steps 5
"""

from __future__ import annotations

import sys
from pathlib import Path

import mesa
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from numpy_reference import DROP_BELOW, DROP_FROM, DROP_PROB, FEAR_LINE, FEAR_SPAN, HI, LO, timed_main, traits, watts_strogatz  # noqa: E402


class Citizen(mesa.Agent):
    """One citizen: fixed finance and desire to dissent, a score, a dissent rate, its friends."""

    def __init__(self, model: mesa.Model, finance: float, desire: float):
        super().__init__(model)
        self.finance = finance
        self.desire = desire
        self.score = 600.0
        self.rate = 0.0
        self.friends: list[Citizen] = []
        self.next_score = 600.0
        self.dropping: Citizen | None = None

    def decide(self) -> None:
        s = self.score
        fear = min(max((FEAR_LINE - s) / FEAR_SPAN, 0.0), 1.0)
        posted = self.random.random() < self.desire * (1.0 - fear)
        self.rate = 0.9 * self.rate + 0.1 * posted
        own = 350.0 + 600.0 * (0.6 * self.finance + 0.4 * (1.0 - self.rate))
        friends_mean = sum(f.score for f in self.friends) / len(self.friends) if self.friends else own
        self.next_score = min(max(0.7 * own + 0.3 * friends_mean, LO), HI)
        self.dropping = None
        if s >= DROP_FROM and self.friends and self.random.random() < DROP_PROB:
            worst = min(self.friends, key=lambda f: f.score)
            if worst.score < DROP_BELOW:
                self.dropping = worst

    def apply(self) -> None:
        self.score = self.next_score
        other = self.dropping
        if other is not None and other in self.friends:
            self.friends.remove(other)
            other.friends.remove(self)


class ReferenceModel(mesa.Model):
    """N citizens on a given undirected edge list (the shared Watts-Strogatz graph by default)."""

    def __init__(self, n: int, seed: int = 0, edges: tuple[np.ndarray, np.ndarray] | None = None):
        super().__init__(seed=seed)
        finance, desire = traits(n, seed)
        citizens = list(Citizen.create_agents(self, n, finance=finance.tolist(), desire=desire.tolist()))
        u, v = edges if edges is not None else watts_strogatz(n, seed=seed)
        for a, b in zip(u.tolist(), v.tolist()):
            citizens[a].friends.append(citizens[b])
            citizens[b].friends.append(citizens[a])

    def step(self) -> None:
        self.agents.shuffle_do("decide")
        self.agents.do("apply")

    def summary(self) -> dict:
        agents = self.agents
        n = len(agents)
        return {"mean_score": sum(agents.get("score")) / n, "mean_dissent": sum(agents.get("rate")) / n,
                "friendships": sum(len(f) for f in agents.get("friends")) // 2}


def build(n: int, seed: int = 0, edges: tuple[np.ndarray, np.ndarray] | None = None) -> ReferenceModel:
    return ReferenceModel(n, seed, edges)


def main() -> None:
    timed_main(build, f"Mesa {mesa.__version__}", 5, __doc__)


if __name__ == "__main__":
    main()
