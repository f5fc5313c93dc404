"""Wei, Yildirim, Van den Bulte and Dellarocas (2016), "Credit scoring with social network data",
Marketing Science 35(2) 234-258.

When a lender scores people on their friends' signals, people who care about their score form
fewer ties, and to partners more like themselves: the network fragments into smaller, more
homogeneous pieces. Here the whole scsim engine runs twice per seed on the same random streams
(common random numbers), guilt by association on ("mean": friends' published scores count) and
off, and the final networks are compared: mean degree, assortativity in a score-relevant type
(capacity: the rank of income and assets, fixed per citizen), number of components and giant
share. The direction of each effect is the paper's result; sizes are scsim's.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import stats

from .common import Check, Result, parallel_map

PRESET = "sesame-2015"
# The preset's association is worth 22 points, private drag is only guessed (no register until
# 2020), few opt in, and the network is dense (20 friends plus households): the effect is
# invisible there. The reproduction scores everybody from the start (as Wei's lender does, and
# so that both arms score the same citizens), makes association matter, publishes the register,
# and makes the network sparse enough to fragment.
STRONG = {
    "phases.optin_start": None,
    "phases.mandatory_start": "2015-01",
    "scoring.association.points": 200.0,
    "register.enabled": True,
    "register.start": "2015-01",
    "behaviour.ties.cut_rate": 1.0,
    "network.mean_degree": 6.0,
    "network.household_size": 1.0,
}
CONFIGS = {"strong": STRONG, "default": {}}
METRICS = ("degree_mean", "components", "giant_share", "isolated_share", "assort_capacity", "assort_score",
           "tau_assortativity", "score_mean", "components_2plus")
PAPER_DIRECTION = {"degree_mean": "fewer ties (-)", "assort_capacity": "more assortative (+)",
                   "components": "more components (+)", "giant_share": "smaller giant (-)"}


def measure(config: str, mode: str, seed: int, citizens: int, months: int) -> dict:
    """Final-month network of one engine run."""
    from ..engine import Simulation
    from ..scenario import load_preset

    over = dict(CONFIGS[config])
    over.update({"population.citizens": citizens, "run.months": months, "run.seed": seed,
                 "scoring.association.mode": mode})
    sim = Simulation(load_preset(PRESET).with_overrides(**over))
    rows = sim.run()
    last = rows[-1]
    net = sim.net
    sizes = np.bincount(net.components())
    return {
        "degree_mean": float(last["degree_mean"]),
        "components": float(last["components"]),
        "giant_share": float(last["giant_share"]),
        "components_2plus": float((sizes >= 2).sum()),
        "isolated_share": float((net.deg == 0).mean()),
        "assort_capacity": net.assortativity(sim.pop.capacity),
        "assort_score": net.assortativity(sim.score),
        "tau_assortativity": float(last["tau_assortativity"]),
        "score_mean": float(np.mean(sim.score)),
        "degree_series": np.array([r["degree_mean"] for r in rows]),
    }


def paired(on: list[dict], off: list[dict], key: str) -> tuple[float, float, float]:
    """Mean of the per-seed differences (on - off) and its 95% t-interval."""
    d = np.array([a[key] - b[key] for a, b in zip(on, off)])
    if len(d) < 2:
        return float(d.mean()), float("nan"), float("nan")
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


def run(full: bool = False) -> Result:
    t0 = time.perf_counter()
    citizens, months, seeds = (10_000, 120, 10) if full else (2000, 60, 4)
    args = [(c, m, s, citizens, months) for c in CONFIGS for m in ("mean", "off") for s in range(1, seeds + 1)]
    out = parallel_map(measure, args) if full else [measure(*a) for a in args]
    runs = {(a[0], a[1]): [] for a in args}
    for a, o in zip(args, out):
        runs[a[0], a[1]].append(o)
    effects = {c: {k: paired(runs[c, "mean"], runs[c, "off"], k) for k in METRICS} for c in CONFIGS}

    checks: list[Check] = []
    e = effects["strong"]

    def avg(mode, k):
        return float(np.mean([r[k] for r in runs["strong", mode]]))

    def effect(k, sign):
        """The paper's direction: the whole interval on its side of zero."""
        mean, lo, hi = e[k]
        ok = hi < 0 if sign < 0 else lo > 0
        return Check(f"strong: {k} (on vs off; diff, 95% CI)", PAPER_DIRECTION[k],
                     f"{avg('mean', k):.3f} vs {avg('off', k):.3f}; {mean:+.3f} [{lo:+.3f}, {hi:+.3f}]",
                     f"CI {'< 0' if sign < 0 else '> 0'}", ok)

    checks += [effect("degree_mean", -1), effect("assort_capacity", +1), effect("components", +1),
               effect("giant_share", -1)]
    for k in ("components_2plus", "isolated_share", "assort_score", "score_mean"):
        mean, lo, hi = e[k]
        checks.append(Check(f"strong: {k} (diff, 95% CI)", "-", f"{mean:+.3f} [{lo:+.3f}, {hi:+.3f}]", "reported", None))
    for k in ("degree_mean", "assort_capacity", "components"):
        mean, lo, hi = effects["default"][k]
        checks.append(Check(f"preset defaults: {k} (diff, 95% CI)", PAPER_DIRECTION[k],
                            f"{mean:+.4f} [{lo:+.4f}, {hi:+.4f}]", "reported", None))
    series = {key: np.mean([r["degree_series"] for r in rs], axis=0) for key, rs in runs.items()}
    data = {"effects": effects, "series": series, "citizens": citizens, "months": months, "seeds": seeds,
            "values": {key: {k: [r[k] for r in rs] for k in METRICS} for key, rs in runs.items()}}
    ref = "Wei, Yildirim, Van den Bulte & Dellarocas (2016) Marketing Science 35(2):234"
    return Result("wei", ref, checks, data, time.perf_counter() - t0)


def plot(result: Result, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = result.data
    fig, ax = plt.subplots(1, 4, figsize=(17, 4), layout="constrained")
    for c, style in (("strong", "-"), ("default", ":")):
        for m, color in (("mean", "C3"), ("off", "C0")):
            ax[0].plot(d["series"][c, m], style, color=color, label=f"{c}, association {m}")
    ax[0].set(xlabel="month", ylabel="mean degree")
    ax[0].set_title(f"mean degree (N={d['citizens']}, mean of {d['seeds']} seeds)", fontsize=10)
    ax[0].legend(fontsize=8)
    for axx, k, label in ((ax[1], "assort_capacity", "assortativity in capacity"), (ax[2], "components", "components"),
                          (ax[3], "giant_share", "giant component share")):
        vals = [d["values"]["strong", "off"][k], d["values"]["strong", "mean"][k]]
        axx.boxplot(vals, tick_labels=["association off", "association on"])
        for x, v in enumerate(vals, 1):
            axx.plot(np.full(len(v), x), v, ".", color="k", alpha=0.5)
        mean, lo, hi = d["effects"]["strong"][k]
        axx.set_title(f"{label}\ndiff {mean:+.3f} [{lo:+.3f}, {hi:+.3f}] (95% CI)", fontsize=10)
    fig.suptitle("Wei et al. 2016: scoring on friends' signals thins and sorts the network (strong settings, final month)")
    fig.savefig(path, dpi=120)
    plt.close(fig)
