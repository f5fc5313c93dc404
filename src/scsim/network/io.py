"""Loaders: an edge-list file and a NetworkX graph."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..scenario import BUNDLED_NETWORKS
from .generators import dedupe
from .structure import Network


def edgelist_path(name_or_path: str | Path) -> Path:
    """The file of an edge list: a bundled network's name (``BUNDLED``), or a path."""
    if str(name_or_path) in BUNDLED_NETWORKS:
        from importlib import resources

        return Path(str(resources.files("scsim") / "data" / BUNDLED_NETWORKS[str(name_or_path)]))
    return Path(name_or_path)


def load_edgelist(path: str | Path) -> tuple[int, np.ndarray, np.ndarray]:
    """Read 'u v' pairs (whitespace-separated, '#' comments, .gz allowed) from a file or a bundled
    network (``edgelist_path``); ids are relabelled 0..n-1 in increasing order. Self-loops,
    repeated pairs and malformed lines are errors."""
    path = edgelist_path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such edge list")
    opener = gzip.open if path.suffix == ".gz" else open
    us: list[int] = []
    vs: list[int] = []
    seen: dict[tuple[int, int], int] = {}
    try:
        with opener(path, "rt") as fh:
            for lineno, line in enumerate(fh, 1):
                text = line.split("#", 1)[0].strip()
                if not text:
                    continue
                parts = text.split()
                if len(parts) < 2:
                    raise InputError(f"{path}:{lineno}: expected two citizen ids 'u v', got '{text}'")
                try:
                    a, b = int(parts[0]), int(parts[1])
                except ValueError:
                    raise InputError(f"{path}:{lineno}: citizen ids must be non-negative integers, got '{text}'") from None
                if a < 0 or b < 0:
                    raise InputError(f"{path}:{lineno}: citizen ids must be non-negative integers, got '{text}'")
                if a == b:
                    raise InputError(f"{path}:{lineno}: self-loop {a}-{b}")
                key = (a, b) if a < b else (b, a)
                if key in seen:
                    raise InputError(f"{path}:{lineno}: duplicate tie {a}-{b} (first on line {seen[key]})")
                seen[key] = lineno
                us.append(a)
                vs.append(b)
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile) as e:
        raise InputError(f"{path}: cannot read edge list: {e}") from None
    if not us:
        raise InputError(f"{path}: edge list is empty")
    ids, inv = np.unique(np.array(us + vs, np.int64), return_inverse=True)
    m = len(us)
    return len(ids), inv[:m].astype(np.int32), inv[m:].astype(np.int32)


def from_networkx(graph) -> Network:
    """A Network from a NetworkX graph (nodes relabelled 0..n-1 in the graph's order;
    an edge attribute kind='family' makes a family tie)."""
    nodes = list(graph.nodes())
    index = {node: i for i, node in enumerate(nodes)}
    u, v, k = [], [], []
    for a, b, data in graph.edges(data=True):
        u.append(index[a])
        v.append(index[b])
        k.append(1 if data.get("kind") == "family" else 0)
    uu, vv, kk = dedupe(len(nodes), u, v, np.array(k, np.uint8))
    return Network(len(nodes), uu, vv, kk)
