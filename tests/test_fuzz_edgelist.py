"""Properties of edge-list files: random bytes, random lines (good ties, garbage, huge ids,
extra columns, self-loops, repeats, comments, bytes that are not UTF-8), plain or gzip, whole,
truncated or corrupted. Either the file loads, with exactly the ties it lists, or it is refused
with one line that names the file (and, for a bad line, its number)."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

from hypothesis import strategies as st

from scsim.errors import InputError
from scsim.network.io import load_edgelist

from .fuzzing import assert_contract, bounded_and_large, call

IDS = st.one_of(st.integers(0, 40), st.integers(0, 2**70), st.integers(2**63 - 2, 2**64))
BAD = st.one_of(
    st.tuples(IDS, IDS, IDS).map(lambda t: " ".join(map(str, t))),  # a third column
    st.tuples(IDS).map(lambda t: str(t[0])),  # one id
    st.sampled_from(["1 x", "1.5 2", "-1 2", "0x1 2", "+1 2", "1_0 2", "١ 2", "nan 1", "1,2"]),
    st.text(min_size=1, max_size=12).filter(lambda t: t.split("#")[0].strip() != ""),
)
GOOD = st.tuples(IDS, IDS).map(lambda t: f"{t[0]} {t[1]}")
SPACE = st.sampled_from(["", "# a comment", "   ", "\t"])


def _oracle(lines: list[str]):
    """What load_edgelist must do with these lines: ('ok', ties) or ('error', line number)."""
    seen = set()
    ties = 0
    for no, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split()
        if len(parts) != 2 or not all(p.isascii() and p.isdigit() for p in parts):
            return "error", no
        a, b = int(parts[0]), int(parts[1])
        if a >= 2**63 or b >= 2**63 or a == b or (min(a, b), max(a, b)) in seen:
            return "error", no
        seen.add((min(a, b), max(a, b)))
        ties += 1
    return ("ok", ties) if ties else ("empty", None)


def check_lines(lines, compress):
    text = "\n".join(lines) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("edges.txt.gz" if compress else "edges.txt")
        path.write_bytes(gzip.compress(text.encode()) if compress else text.encode())
        expect, detail = _oracle([ln for part in lines for ln in part.split("\n")])
        try:
            n, u, v = load_edgelist(path)
        except InputError as e:
            line = str(e)
            assert "\n" not in line and line.startswith(str(path)), line
            if expect == "error":
                assert line.startswith(f"{path}:{detail}:"), (line, detail)
            else:
                assert expect in (None, "empty"), (line, expect)
            return
        assert expect in ("ok", None), f"accepted a file with a bad line {detail}"
        if expect == "ok":
            assert len(u) == detail and n == len(set(u.tolist()) | set(v.tolist())) and (u != v).all()


def check_bytes(data, compress, cut):
    """Random bytes, maybe gzip-compressed, maybe with the stream cut or a byte flipped."""
    if compress:
        data = gzip.compress(data)
        if cut == "truncate":
            data = data[: max(1, len(data) // 2)]
        elif cut == "flip" and len(data) > 12:
            data = data[:12] + bytes([data[12] ^ 0x5A]) + data[13:]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("e.gz" if compress else "e.txt")
        path.write_bytes(data)
        try:
            load_edgelist(path)
        except InputError as e:
            assert "\n" not in str(e) and str(e).startswith(str(path))


def check_cli(lines, compress):
    """The same through ``scsim run`` (2 months): exit 0, or 2 with one line and no folder."""
    text = ("\n".join(lines) + "\n").encode()
    with tempfile.TemporaryDirectory() as tmp:
        name = "edges.gz" if compress else "edges.txt"
        (Path(tmp) / name).write_bytes(gzip.compress(text) if compress else text)
        sc = Path(tmp) / "sc.toml"
        sc.write_text(f'extends = "sesame-2015"\n[run]\nmonths = 2\n[network]\nmodel = "edgelist"\npath = "{name}"\n')
        out = Path(tmp) / "out"
        rc, _, err = call("run", sc, "--out", out, "--quiet")
        assert_contract(rc, err, out)


LINES = st.lists(st.one_of(GOOD, GOOD, GOOD, SPACE, BAD), min_size=0, max_size=30)
test_edge_list_lines, test_edge_list_lines_many = bounded_and_large(
    check_lines, 200, lines=LINES, compress=st.booleans())
test_edge_list_bytes, test_edge_list_bytes_many = bounded_and_large(
    check_bytes, 150, data=st.binary(max_size=300), compress=st.booleans(),
    cut=st.sampled_from(["whole", "truncate", "flip"]))
test_edge_list_run, test_edge_list_run_many = bounded_and_large(
    check_cli, 6, lines=st.lists(st.one_of(GOOD, GOOD, GOOD, BAD), min_size=1, max_size=12), compress=st.booleans())
