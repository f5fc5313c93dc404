"""Daymude, Axelrod and Forrest (2025), "Strategic analysis of dissent and self-censorship",
PNAS (arXiv:2509.03731).

An individual with desire to dissent delta and boldness beta chooses how much dissent to
express, a in [0, delta], facing an authority with surveillance nu, tolerance t and severity
psi, under uniform or proportional punishment. The paper's individual-level result is three
regimes: compliant (delta <= t), self-censoring (a* = t, or t < a* < delta under proportional
punishment) and defiant (a* = delta > t), separated by closed-form critical desires; and that
some policy (t = 0 and psi large enough) silences everyone. ``scsim.rules.daymude_action`` is
the closed form (formulas in its module docstring); here it is checked against brute-force
maximisation of the utility on a fine grid.
"""

from __future__ import annotations

import time

import numba as nb
import numpy as np

from .. import rules
from ..rng import Streams
from .common import Check, Result

# the paper's Fig. 1-2 settings: beta = 1, nu = 0.2, t = 0.25; psi = 0.6 / 2 (uniform), 1 (proportional)
FIG = dict(beta=1.0, nu=0.2, t=0.25)
PAPER_D_UNIFORM = (1.0 * 0.25 + 0.2 * 0.6) / (1.0 - 0.8 * 0.6)  # 0.7115
PAPER_D_PROPORTIONAL = (0.25 + (1.0 - 0.2) / 0.8) / 2  # 0.625


@nb.njit(cache=True, parallel=True)
def _utilities(a, beta, nu, t, psi, proportional):
    out = np.empty(a.shape[0])
    for i in nb.prange(a.shape[0]):
        out[i] = rules.daymude_utility(a[i], beta[i], nu[i], t[i], psi[i], proportional)
    return out


def utility(a, beta, nu, t, psi, proportional):
    """u(a) per case (``rules.daymude_utility``, the model's definition)."""
    return _utilities(*(np.ascontiguousarray(x, np.float64) for x in (a, beta, nu, t, psi)), proportional)


@nb.njit(cache=True, parallel=True)
def _grid_argmax(delta, beta, nu, t, psi, proportional, points, best_a, best_u):
    for i in nb.prange(delta.shape[0]):
        ba, bu = 0.0, -np.inf
        for k in range(points):
            a = delta[i] * k / (points - 1)
            u = rules.daymude_utility(a, beta[i], nu[i], t[i], psi[i], proportional)
            if u > bu:
                ba, bu = a, u
        best_a[i] = ba
        best_u[i] = bu


def brute_force(delta, beta, nu, t, psi, proportional, points: int):
    """argmax of u over ``points`` equally spaced actions in [0, delta] (arrays of parameters);
    the first (smallest) action wins a tie."""
    args = [np.ascontiguousarray(x, np.float64) for x in (delta, beta, nu, t, psi)]
    best_a = np.empty(len(args[0]))
    best_u = np.empty(len(args[0]))
    _grid_argmax(*args, proportional, points, best_a, best_u)
    return best_a, best_u


def closed_form(delta, beta, nu, t, psi, proportional, action=rules.daymude_action):
    return np.array([action(d, b, n, tt, p, proportional) for d, b, n, tt, p in zip(delta, beta, nu, t, psi)])


def random_cases(k: int, rng: np.random.Generator) -> dict:
    """Parameters over the paper's ranges, with perfect surveillance and zero tolerance mixed in."""
    nu = rng.uniform(0, 1, k)
    nu[rng.random(k) < 0.1] = 1.0
    t = rng.uniform(0, 1, k)
    t[rng.random(k) < 0.1] = 0.0
    return dict(delta=rng.uniform(0, 1, k), beta=rng.uniform(0.05, 3, k), nu=nu, t=t, psi=rng.uniform(0.01, 3, k))


def compare(cases: dict, proportional: bool, points: int, action=rules.daymude_action) -> dict:
    """Closed form against the grid: utility shortfall (closed form never beaten) and action gap
    where the grid's choice is strictly better than the other regime (not a tie)."""
    a_cf = closed_form(**cases, proportional=proportional, action=action)
    u_cf = utility(a_cf, cases["beta"], cases["nu"], cases["t"], cases["psi"], proportional)
    a_bf, u_bf = brute_force(*(cases[x] for x in ("delta", "beta", "nu", "t", "psi")), proportional, points)
    step = cases["delta"] / (points - 1)
    u_at_bf = utility(a_bf, cases["beta"], cases["nu"], cases["t"], cases["psi"], proportional)
    # slack: moving the continuous optimum to the nearest grid point costs at most |u'| * step
    slope = cases["beta"] + cases["psi"] * (1.0 + (2.0 if proportional else 0.0))
    far = np.abs(a_cf - a_bf) > 2 * step + 1e-12
    tie = far & (np.abs(u_cf - u_at_bf) <= slope * step + 1e-12)  # two regimes equally good
    gap = np.abs(a_cf - a_bf)
    return {"shortfall": float(np.max(u_bf - u_cf)), "max_gap": float(np.max(gap[~tie])),
            "mismatches": int((far & ~tie).sum()), "ties": int(tie.sum()), "n": len(a_cf),
            "step": float(step.max())}


def critical_desire(beta, nu, t, psi, proportional, points=20_001, deltas=2001) -> float:
    """Brute force: smallest desire whose grid-optimal action equals it (the defiance onset)."""
    d = np.linspace(0.0, 1.0, deltas)
    k = len(d)
    a, _ = brute_force(d, np.full(k, beta), np.full(k, nu), np.full(k, t), np.full(k, psi), proportional, points)
    defiant = (d > t) & (np.abs(a - d) <= d / (points - 1) + 1e-12)
    return float(d[np.argmax(defiant)]) if defiant.any() else float("nan")


def plateau(beta, nu, t, psi, proportional, points=20_001) -> float:
    """Brute force: the action chosen at full desire (the self-censorship level)."""
    a, _ = brute_force(np.ones(1), np.full(1, beta), np.full(1, nu), np.full(1, t), np.full(1, psi), proportional, points)
    return float(a[0])


def classify(delta, a, t, step):
    """Regime codes of ``rules`` (compliant, self-censoring, partial, defiant) of grid actions."""
    return np.where(delta <= t, rules.COMPLIANT,
                    np.where(np.abs(a - delta) <= step + 1e-12, rules.DEFIANT,
                             np.where(np.abs(a - t) <= step + 1e-12, rules.SELF_CENSORING, rules.PARTIAL)))


def phase_grid(xs, psis, xname: str, who: dict, proportional: bool, points: int):
    """Regimes over (x, psi), x = 'nu' or 'delta', for the individual/authority in ``who``:
    by brute force and by closed form (rows: psi, columns: x)."""
    xx, pp = np.meshgrid(xs, psis, indexing="xy")
    par = {k: np.full(xx.size, float(v)) for k, v in who.items()}
    par[xname] = xx.ravel()
    par["psi"] = pp.ravel()
    a, _ = brute_force(par["delta"], par["beta"], par["nu"], par["t"], par["psi"], proportional, points)
    bf = classify(par["delta"], a, par["t"], par["delta"] / (points - 1)).reshape(xx.shape)
    cf = np.array([rules.daymude_regime(d, b, n, t, p, proportional) for d, b, n, t, p in
                   zip(par["delta"], par["beta"], par["nu"], par["t"], par["psi"])]).reshape(xx.shape)
    return bf, cf


def boundaries(delta, beta, t, nus):
    """Closed-form regime boundaries in the (nu, psi) plane for one individual (delta > t):
    uniform defiance iff psi < beta (delta - t) / (nu + (1 - nu) delta);
    proportional defiance iff psi <= beta / (nu + (1 - nu)(2 delta - t)),
    full self-censorship iff psi >= beta / (nu + (1 - nu) t)."""
    return {"uniform": beta * (delta - t) / (nus + (1 - nus) * delta),
            "prop_defiant": beta / (nus + (1 - nus) * (2 * delta - t)),
            "prop_silent": beta / np.maximum(nus + (1 - nus) * t, 1e-12)}


def run(full: bool = False) -> Result:
    t0 = time.perf_counter()
    rng = Streams(2025)["validation"]
    k, points = (20_000, 20_001) if full else (3000, 4001)
    checks: list[Check] = []
    stats = {}
    for prop in (False, True):
        name = "proportional" if prop else "uniform"
        cmp = compare(random_cases(k, rng), prop, points)
        stats[name] = cmp
        checks.append(Check(f"{name}: closed form vs grid argmax ({cmp['n']} random cases, {points} actions)",
                            "closed form (Eqs. 5-8)",
                            f"shortfall {cmp['shortfall']:.1e}, {cmp['mismatches']} mismatches, max |da| {cmp['max_gap']:.1e} "
                            f"({cmp['ties']} ties)",
                            "shortfall <= 1e-12, 0 mismatches, |da| <= 2 steps",
                            cmp["shortfall"] <= 1e-12 and cmp["mismatches"] == 0 and cmp["max_gap"] <= 2 * cmp["step"] + 1e-12))

    d_u = critical_desire(FIG["beta"], FIG["nu"], FIG["t"], 0.6, False)
    checks.append(Check("uniform, psi 0.6: defiance onset d_uni (Fig. 1A)", f"{PAPER_D_UNIFORM:.4f}", f"{d_u:.4f}",
                        "+-0.001 (grid)", abs(d_u - PAPER_D_UNIFORM) <= 1e-3))
    d_none = critical_desire(FIG["beta"], FIG["nu"], FIG["t"], 2.0, False)
    checks.append(Check("uniform, psi 2: defiance (beta <= (1-nu) psi, Fig. 1B)", "none", "none" if np.isnan(d_none) else f"{d_none:.4f}",
                        "exact", bool(np.isnan(d_none))))
    d_p = plateau(FIG["beta"], FIG["nu"], FIG["t"], 1.0, True)
    checks.append(Check("proportional, psi 1: self-censorship level d_prop (Fig. 2A)", f"{PAPER_D_PROPORTIONAL:.4f}",
                        f"{d_p:.4f}", "+-0.001 (grid)", abs(d_p - PAPER_D_PROPORTIONAL) <= 1e-3))

    # "for any population there is a policy of total self-censorship": t = 0, psi above the bound
    pop = Streams(7)["validation"]
    n = 100_000
    delta, beta = pop.uniform(0, 1, n), pop.uniform(0.1, 4.0, n)
    silent = {}
    for prop, nu in ((False, 0.3), (True, 0.3)):
        psi = (beta.max() / (1 - nu) if not prop else beta.max() / nu) * 1.01
        out = np.empty(n)
        rules.daymude_action_array(delta, beta, nu, 0.0, psi, prop, out)
        silent["proportional" if prop else "uniform"] = (float((out == 0).mean()), psi)
    s_u, s_p = silent["uniform"], silent["proportional"]
    checks.append(Check("total self-censorship policy (t=0, nu=0.3, psi just above max beta bound)", "100% silent",
                        f"{100 * s_u[0]:.1f}% (uniform, psi {s_u[1]:.2f}) / {100 * s_p[0]:.1f}% (prop., psi {s_p[1]:.2f})",
                        "exact", s_u[0] == 1.0 and s_p[0] == 1.0))

    # phase diagrams: over the authority's (nu, psi) for one individual, and over (delta, psi)
    size = 101 if full else 41
    nus, deltas = np.linspace(0.0, 1.0, size), np.linspace(0.0, 1.0, size)
    psis = np.linspace(0.01, 3.0, 121 if full else 49)
    who = dict(delta=0.75, beta=1.0, nu=0.2, t=0.25)
    phases = {}
    for plane, xs in (("nu", nus), ("delta", deltas)):
        for prop in (False, True):
            name = "proportional" if prop else "uniform"
            bf, cf = phase_grid(xs, psis, plane, who, prop, 4001)
            phases[plane, name] = bf
            agree = float((bf == cf).mean())
            checks.append(Check(f"{name}: regimes over ({plane}, psi), grid vs closed form", "Fig. 3 phases",
                                f"{100 * agree:.2f}% of {bf.size} cells agree", ">= 99% (boundary cells)", agree >= 0.99))
    data = {"stats": stats, "phases": phases, "nus": nus, "deltas": deltas, "psis": psis, "who": who,
            "bounds": boundaries(who["delta"], who["beta"], who["t"], nus), "d_u": d_u, "d_p": d_p}
    return Result("daymude", "Daymude, Axelrod & Forrest (2025) PNAS; arXiv:2509.03731", checks, data,
                  time.perf_counter() - t0)


def plot(result: Result, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    d = result.data
    fig, ax = plt.subplots(2, 3, figsize=(15, 8.5), layout="constrained")
    deltas = np.linspace(0, 1, 1001)
    for psi, style in ((0.6, "-"), (2.0, "--")):
        a = [rules.daymude_action(x, FIG["beta"], FIG["nu"], FIG["t"], psi, False) for x in deltas]
        ax[0, 0].plot(deltas, a, style, label=f"uniform, psi={psi}")
    a = [rules.daymude_action(x, FIG["beta"], FIG["nu"], FIG["t"], 1.0, True) for x in deltas]
    ax[0, 1].plot(deltas, a, label="proportional, psi=1")
    for psi, style in ((0.6, "--"), (2.0, ":")):
        a = [rules.daymude_action(x, FIG["beta"], 1.0, FIG["t"], psi, True) for x in deltas]
        ax[0, 1].plot(deltas, a, style, label=f"proportional, nu=1, psi={psi}")
    for axx, title in ((ax[0, 0], f"uniform: defiance from d_uni={d['d_u']:.3f}"),
                       (ax[0, 1], f"proportional: partial self-censorship at d_prop={d['d_p']:.3f}")):
        axx.plot([0, 1], [0, 1], color="grey", lw=0.5)
        axx.set(xlabel="desire to dissent delta", ylabel="optimal action a*", title=title, xlim=(0, 1), ylim=(0, 1))
        axx.legend(fontsize=8)
    cmap = ListedColormap(["#fdd49e", "#d7301f", "#fc8d59", "#67000d"])  # rules' regime codes 0..3
    b, w = d["bounds"], d["who"]
    for col, name in enumerate(("uniform", "proportional")):
        axx = ax[1, col]
        axx.pcolormesh(d["nus"], d["psis"], d["phases"]["nu", name], cmap=cmap, vmin=-0.5, vmax=3.5, shading="auto")
        axx.plot(d["nus"], b["uniform"] if name == "uniform" else b["prop_defiant"], "w--", lw=1.2, label="closed form")
        if name == "proportional":
            axx.plot(d["nus"], np.minimum(b["prop_silent"], 10), "w--", lw=1.2)
        axx.set(xlabel="surveillance nu", ylabel="severity psi", ylim=(d["psis"][0], d["psis"][-1]),
                title=f"{name}: delta={w['delta']}, beta={w['beta']}, t={w['t']}")
        axx.legend(fontsize=8, loc="upper right")
        axx = ax[col, 2]
        im = axx.pcolormesh(d["deltas"], d["psis"], d["phases"]["delta", name], cmap=cmap, vmin=-0.5, vmax=3.5,
                            shading="auto")
        axx.set(xlabel="desire to dissent delta", ylabel="severity psi",
                title=f"{name}: beta={w['beta']}, nu={w['nu']}, t={w['t']}")
    cbar = fig.colorbar(im, ax=ax[:, 2], ticks=range(4), shrink=0.6)
    cbar.ax.set_yticklabels(rules.REGIMES, fontsize=8)
    fig.suptitle("Daymude, Axelrod & Forrest 2025: optimal dissent (closed form) and regimes (grid argmax)")
    fig.savefig(path, dpi=120)
    plt.close(fig)
