"""Data that ships with scsim: the anonymous structure of real networks, selectable by name
wherever an edge list's path goes (``[network] path = "ego-facebook"``, ``--edgelist
ego-facebook``), with where each comes from and how to cite it. Only edge lists ship: no
profile, no attribute, nothing about a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .network import edgelist_path


@dataclass(frozen=True)
class Dataset:
    name: str
    citizens: int  # nodes
    ties: int  # undirected edges
    source: str
    citation: str
    terms: str

    @property
    def path(self) -> Path:
        """The edge list inside the installed package."""
        return edgelist_path(self.name)


DATASETS = {
    "ego-facebook": Dataset(
        name="ego-facebook", citizens=4039, ties=88234,
        source="Stanford Network Analysis Project (SNAP): the ego-Facebook network, ten ego networks of "
               "friend lists combined, node ids anonymised",
        citation="J. McAuley and J. Leskovec, Learning to Discover Social Circles in Ego Networks, "
                 "Advances in Neural Information Processing Systems (NIPS) 2012",
        terms="distributed by SNAP for research; cite the paper above in any work that uses it. scsim ships "
              "the edge list only (no profile features)"),
}


def names() -> list[str]:
    """The data sets' names (``scenario.BUNDLED_NETWORKS`` has the same, with their files)."""
    return sorted(DATASETS)


def get(name: str) -> Dataset:
    from .errors import InputError

    if name not in DATASETS:
        raise InputError(f"unknown data set '{name}' (data sets: {', '.join(names())})")
    return DATASETS[name]
