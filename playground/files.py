"""The one atomic write and the one weights hash.

A reader (another request, another process, the next start) must never see a half-written file:
every file the playground writes at run time goes through `write_atomic`. Hashes of weight files
key every derived artefact (maps, curves, judge features); `weights_sha256` reads a file once per
change of its size or modification time.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import threading
from pathlib import Path
from typing import Callable


def write_atomic(path: str | Path, write: Callable[[Path], None] | bytes | str) -> Path:
    """Write `path` whole or not at all: `write(tmp)` (or the bytes/text given) fills a temporary
    file beside it, which is then renamed into place. Parents are created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp{path.suffix}")
    try:
        if isinstance(write, bytes):
            tmp.write_bytes(write)
        elif isinstance(write, str):
            tmp.write_text(write)
        else:
            write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


_hashes: dict[Path, tuple[tuple[int, int], str]] = {}
_hash_lock = threading.Lock()


def weights_sha256(path: str | Path) -> str:
    """sha256 of a file, re-read only when its size or modification time changes."""
    path = Path(path).resolve()
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    with _hash_lock:
        known = _hashes.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    with _hash_lock:
        _hashes[path] = (stamp, h.hexdigest())
    return h.hexdigest()
