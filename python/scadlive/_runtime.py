"""The process-wide bridge and clients every viewer and call shares."""
from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import TYPE_CHECKING, Any, cast

# pyzmq is imported only when a bridge is used: under Pyodide it does not exist
if TYPE_CHECKING:
    from ._process import BridgeProcess
    from .client import AsyncBridgeClient, SyncBridgeClient

_lock = threading.Lock()
_process: "BridgeProcess | None" = None
_clients: dict[str, Any] = {}  # by client class name: one async, one sync


def new_process() -> "BridgeProcess":
    """The bridge this process uses: the running one SCADLIVE_CONNECTION_FILE names,
    else a child of its own (SCADLIVE_WORKERS, SCADLIVE_BACKEND, SCADLIVE_RENDERERS)."""
    if sys.platform == "emscripten":
        from ._pyodide import unavailable
        raise unavailable("the render bridge")
    from ._process import BridgeProcess, RunningBridge
    conn_file = os.environ.get("SCADLIVE_CONNECTION_FILE")
    if conn_file:
        return RunningBridge(conn_file)
    workers = os.environ.get("SCADLIVE_WORKERS")
    return BridgeProcess(workers=int(workers) if workers else None,
                         backend=os.environ.get("SCADLIVE_BACKEND"))


def process() -> "BridgeProcess":
    global _process
    with _lock:
        if _process is None:
            _process = new_process()
            atexit.register(_process.stop)
        return _process


def _shared(kind: str) -> Any:
    """The one client of class ``kind`` (of scadlive.client) on this process's bridge."""
    proc = process()
    from . import client
    with _lock:
        if kind not in _clients:
            _clients[kind] = getattr(client, kind)(proc)
        return _clients[kind]


def async_client() -> "AsyncBridgeClient":
    return cast("AsyncBridgeClient", _shared("AsyncBridgeClient"))


def sync_client() -> "SyncBridgeClient":
    return cast("SyncBridgeClient", _shared("SyncBridgeClient"))
