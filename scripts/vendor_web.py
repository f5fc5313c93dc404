"""Vendor the web explorer's JavaScript into src/scsim/web/static/vendor/ from the npm registry.

    python scripts/vendor_web.py

Fetches each pinned package's published tarball with ``npm pack`` into a temporary folder and
copies its minified browser build and its licence, and writes VERSIONS.txt (name, version,
file, sha256). Rerunning it reproduces the folder byte for byte; the server and the report
read only these files (no CDN).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGES = (  # (package, version, file in the package, vendored name)
    ("vega", "6.4.0", "build/vega.min.js", "vega.min.js"),
    ("vega-lite", "6.5.0", "build/vega-lite.min.js", "vega-lite.min.js"),
    ("vega-embed", "7.3.0", "build/vega-embed.min.js", "vega-embed.min.js"),
    ("cytoscape", "3.35.0", "dist/cytoscape.min.js", "cytoscape.min.js"),
)
OUT = Path(__file__).resolve().parents[1] / "src" / "scsim" / "web" / "static" / "vendor"


def main() -> int:
    if shutil.which("npm") is None:
        print("vendor_web: npm is not installed", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, version, inner, target in PACKAGES:
            got = subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=tmp, check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(tmp) / got) as tar:
                for member, dest in ((f"package/{inner}", target), ("package/LICENSE", f"{name}.LICENSE")):
                    data = tar.extractfile(member).read()
                    (OUT / dest).write_bytes(data)
            digest = hashlib.sha256((OUT / target).read_bytes()).hexdigest()
            lines.append(f"{name} {version} {target} sha256:{digest}")
            print(lines[-1])
    (OUT / "VERSIONS.txt").write_text("# written by scripts/vendor_web.py from the npm registry\n" + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
