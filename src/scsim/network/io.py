"""Loaders: an edge-list file and a NetworkX graph."""

from __future__ import annotations

import gzip
import zlib
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


MAX_ID = 2**63 - 1  # ids are read as 64-bit integers before they are relabelled 0..n-1


def load_edgelist(path: str | Path) -> tuple[int, np.ndarray, np.ndarray]:
    """Read 'u v' pairs (whitespace-separated, '#' comments, UTF-8 or ASCII text, .gz allowed)
    from a file or a bundled network (``edgelist_path``); ids are relabelled 0..n-1 in
    increasing order. Every malformed line is an error naming its line number: not exactly two
    ids, an id that is not a plain non-negative integer below 2**63, a self-loop, a repeated
    pair, bytes that are not UTF-8; so is compressed data that is corrupt or cut short."""
    path = edgelist_path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not an edge list")
    if not path.is_file():
        raise InputError(f"{path}: no such edge list")
    opener = gzip.open if path.suffix == ".gz" else open
    us: list[int] = []
    vs: list[int] = []
    seen: dict[tuple[int, int], int] = {}
    lineno = 0
    try:
        with opener(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                a, b = _parse_line(raw, path, lineno)
                if a < 0:
                    continue
                key = (a, b) if a < b else (b, a)
                if key in seen:
                    raise InputError(f"{path}:{lineno}: duplicate tie {a}-{b} (first on line {seen[key]})")
                seen[key] = lineno
                us.append(a)
                vs.append(b)
    except (OSError, EOFError, zlib.error) as e:
        where = f" after line {lineno}" if lineno else ""
        what = "compressed data cut short" if isinstance(e, EOFError) else \
            "not gzip data" if isinstance(e, gzip.BadGzipFile) and not lineno else \
            "corrupt compressed data" if isinstance(e, (zlib.error, gzip.BadGzipFile)) else (e.strerror or str(e))
        raise InputError(f"{path}: cannot read the edge list: {what}{where}") from None
    if not us:
        raise InputError(f"{path}: edge list is empty")
    ids, inv = np.unique(np.array(us + vs, np.int64), return_inverse=True)
    m = len(us)
    return len(ids), inv[:m].astype(np.int32), inv[m:].astype(np.int32)


def _parse_line(raw: bytes, path: Path, lineno: int) -> tuple[int, int]:
    """The tie on one line of an edge list, or (-1, -1) for a blank or comment line."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}:{lineno}: not UTF-8 text (byte {e.start + 1} of the line); "
                         "an edge list is plain text (or gzip-compressed text, named .gz)") from None
    text = line.split("#", 1)[0].strip()
    if not text:
        return -1, -1
    parts = text.split()
    shown = text if len(text) <= 60 else text[:57] + "..."
    if len(parts) != 2:
        raise InputError(f"{path}:{lineno}: expected two citizen ids 'u v', got {len(parts)} "
                         f"field{'s' if len(parts) != 1 else ''} in '{shown}'")
    if not all(p.isascii() and p.isdigit() for p in parts):
        raise InputError(f"{path}:{lineno}: citizen ids must be non-negative integers, got '{shown}'")
    a, b = int(parts[0]), int(parts[1])
    if a > MAX_ID or b > MAX_ID:
        raise InputError(f"{path}:{lineno}: citizen id {max(a, b)} is too large (ids must be below 2**63)")
    if a == b:
        raise InputError(f"{path}:{lineno}: self-loop {a}-{b}")
    return a, b


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
