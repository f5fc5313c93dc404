"""``scsim serve``: check the folders, then run the app on uvicorn (loopback unless told)."""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

from ..errors import InputError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(folders: list[str], host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False,
          scratch: str | None = None, try_it: bool = True) -> int:
    """Serve ``folders`` until interrupted; a bad folder or port is an InputError (one line, exit 2).
    "Try it" runs go to ``scratch`` (default: a temporary folder removed when the server stops)."""
    if not 0 < port < 65536:
        raise InputError(f"scsim serve: --port {port}: use a port from 1 to 65535")
    from .sources import open_sources

    sources = open_sources(folders)  # refuses a folder that is not a run, incomplete or corrupt
    import uvicorn

    from .app import create_app

    if host not in LOOPBACK:
        print(f"scsim serve: warning: listening on {host}: other machines can read these runs", file=sys.stderr)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    print(f"scsim serve: {len(sources)} folder(s) at {url} (Ctrl-C to stop)", file=sys.stderr)
    if open_browser:
        import webbrowser

        threading.Timer(1.0, webbrowser.open, [url]).start()
    temporary = try_it and scratch is None
    folder = Path(tempfile.mkdtemp(prefix="scsim-try-")) if temporary else (Path(scratch) if try_it else None)
    if folder is not None and folder.exists() and not folder.is_dir():
        raise InputError(f"scsim serve: --scratch {folder}: exists and is not a folder")
    config = uvicorn.Config(create_app(sources, folder), host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    try:
        server.run()
    except OSError as e:
        raise InputError(f"scsim serve: cannot listen on {host}:{port} ({e.strerror or e})") from None
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
    return 0
