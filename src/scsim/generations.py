"""Generations (MODEL.md section 7): privileges buy children, children inherit tau.

Every ``generations.every`` months (phase 0, at the start of the month, on the state the last
month left), the whole population turns over at once: a compressed, non-overlapping
generation. The rules:

- **Fertility.** Citizen i's expected number of children is proportional to
  w_i = exp(strength * P_i), with P_i the value of the privileges it holds (utility/month, the
  same values the behaviour rules use) minus the sanction cost if it is sanctioned, and
  w_i = 0 for an arrested citizen. strength = 0 makes everybody equally fertile (no selection).
- **Parents.** Each of the n places in the next generation draws a parent with probability
  w_i / sum(w) (a Wright-Fisher draw, so the population size stays exactly n).
- **Place.** A parent's first child takes the parent's own place (its ties, household,
  occupation, income and assets: a generation changes who thinks what, not the economy);
  further children take the places of citizens who left no child, in a random order.
- **Inheritance of tau**, on the liability (probit) scale of the population's tau distribution
  Beta(alpha, beta): z = Phi^-1(F(tau)); a child's z = m + h2 (z_parent - m) + sqrt(1 - h2^2) e
  with m the mean z of the old generation and e standard normal; tau = F^-1(Phi(z)). So the
  parent-child regression slope is h2 on that scale, the distribution stays Beta(alpha, beta)
  when nothing selects, and under selection the mean moves by h2 times the selection
  differential each generation (the breeder's equation).
- **A fresh start.** Children have posted nothing, carry no political penalty, are not on
  file with the police and are not arrested; their privacy cost follows their own tau. Opt-in,
  scores and sanctions carry over with the place until the month's phases update them.

All draws are counter-based on the ``generations`` stream (slots 0-2), so a resumed run and a
run on any number of threads make the same children.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betainc, betaincinv, ndtr, ndtri

from .rng import uniform_array


@dataclass
class Births:
    """Who is whose child: ``parent[p]`` is the old citizen whose child now holds place p."""

    parent: np.ndarray
    children: np.ndarray  # number of children of each old citizen
    parents_tau: float = float("nan")  # mean tau of the parents, weighted by their children


def fertility(privilege_value: np.ndarray, sanctioned: np.ndarray, sanction_cost: float, arrested: np.ndarray,
              strength: float) -> np.ndarray:
    """Relative fertility w_i = exp(strength * (privileges held - sanction cost)), 0 if arrested."""
    w = np.exp(strength * (privilege_value - sanction_cost * sanctioned))
    w[arrested] = 0.0
    return w


def draw_parents(w: np.ndarray, key, month: int) -> Births:
    """Wright-Fisher draw of one parent per place, then placement (module docstring)."""
    n = len(w)
    total = w.sum()
    if not total > 0:  # nobody can have children (everybody arrested): everybody counts equally
        w, total = np.ones(n), float(n)
    cum = np.cumsum(w / total)
    drawn = np.minimum(np.searchsorted(cum, uniform_array(key, month, 0, n), side="right"), n - 1)
    children = np.bincount(drawn, minlength=n)
    parent = np.arange(n)
    extra = np.repeat(np.arange(n), np.maximum(children - 1, 0))  # second and later children
    empty = np.flatnonzero(children == 0)  # places whose citizen left no child
    empty = empty[np.argsort(uniform_array(key, month, 1, n)[empty], kind="stable")]
    parent[empty] = extra  # as many of one as of the other: the draws add up to n
    return Births(parent, children)


def inherit_tau(tau: np.ndarray, parent: np.ndarray, h2: float, alpha: float, beta: float, key, month: int) -> np.ndarray:
    """Children's tau by the liability-scale rule of the module docstring."""
    eps = 1e-12
    z = ndtri(np.clip(betainc(alpha, beta, tau), eps, 1 - eps))
    m = z.mean()
    u = np.clip(uniform_array(key, month, 2, len(tau)), eps, 1 - eps)
    z_child = m + h2 * (z[parent] - m) + np.sqrt(1.0 - h2 * h2) * ndtri(u)
    return betaincinv(alpha, beta, ndtr(z_child))
