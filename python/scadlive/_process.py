"""The bridge daemon as a child of this Python process (usually a kernel).

The first render starts ``scadlive bridge`` with ``--parent-pid`` set to this
process, so the daemon exits with the kernel; every viewer and call in the
process reuses it. If it dies, the next call starts a new one, and calls that
were waiting on the dead one fail with :class:`BridgeLost` rather than hang.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zmq

from . import _assets
from .errors import BridgeLost, BridgeStartError


@dataclass(frozen=True)
class CurveKeys:
    """What a client needs for a bridge listening with CURVE (Z85 text, 40 characters each)."""
    serverkey: str
    publickey: str
    secretkey: str


@dataclass(frozen=True)
class Connection:
    endpoint: str
    pid: int
    version: str
    protocol: int
    path: Path
    curve: CurveKeys | None = field(default=None, repr=False)  # None: private ipc, no keys

    def connect(self, socket: zmq.Socket[Any]) -> None:
        """Connect ``socket`` to the bridge, with the file's CURVE keys when it has them."""
        if self.curve is not None:
            if not zmq.has("curve"):
                raise BridgeStartError(f"the bridge in {self.path} needs CURVE keys, and this pyzmq's "
                                       f"libzmq {zmq.zmq_version()} was built without CURVE")
            socket.curve_serverkey = self.curve.serverkey.encode("ascii")
            socket.curve_publickey = self.curve.publickey.encode("ascii")
            socket.curve_secretkey = self.curve.secretkey.encode("ascii")
        socket.connect(self.endpoint)


def _curve_keys(data: dict[str, Any], path: Path) -> CurveKeys | None:
    curve = data.get("curve")
    if curve is None and data.get("security", "private-ipc") != "curve":
        return None
    keys = []
    for name in ("serverkey", "publickey", "secretkey"):
        key = curve.get(name) if isinstance(curve, dict) else None
        if not isinstance(key, str) or len(key) != 40:
            raise BridgeStartError(f"connection file {path}: curve.{name} is missing or not a Z85 CURVE key")
        keys.append(key)
    return CurveKeys(*keys)


def read_connection_file(path: Path) -> Connection:
    """Parse a connection file written by ``scadlive bridge`` (docs/protocol.md)."""
    data = json.loads(path.read_text())
    try:
        return Connection(
            endpoint=str(data["endpoint"]),
            pid=int(data["pid"]),
            version=str(data.get("version", "")),
            protocol=int(data.get("protocol", 1)),
            path=path,
            curve=_curve_keys(data, path),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BridgeStartError(f"connection file {path} is malformed: {exc}") from exc


class BridgeProcess:
    """Owns one ``scadlive bridge`` child process; thread-safe."""

    START_TIMEOUT_S = 30.0

    def __init__(self, *, workers: int | None = None, backend: str | None = None,
                 extra_args: list[str] | None = None) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._dir = self._make_dir()  # connection files and the log; removed by stop()
        self._workers = workers
        self._backend = backend
        self._extra = list(extra_args or [])
        self.generation = 0  # bumped every time a new daemon is started
        self._log_path = self._dir / "bridge.log"

    @staticmethod
    def _make_dir() -> Path:
        path = Path(tempfile.mkdtemp(prefix="scadlive-kernel-"))  # 0700, ours
        return path

    @property
    def log_path(self) -> Path:
        return self._log_path

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def exit_description(self) -> str:
        if self._proc is None:
            return "the scadlive bridge was never started"
        rc = self._proc.poll()
        if rc is None:
            return f"the scadlive bridge (pid {self._proc.pid}) is running"
        how = f"was killed by signal {-rc}" if rc < 0 else f"exited with status {rc}"
        tail = ""
        try:
            lines = self._log_path.read_text(errors="replace").strip().splitlines()
            if lines:
                tail = f"; last log line: {lines[-1]}"
        except OSError:
            pass
        return f"the scadlive bridge (pid {self._proc.pid}) {how}{tail}"

    def ensure(self) -> Connection:
        """Return the live daemon's connection, starting one if needed."""
        with self._lock:
            if self.alive() and self._conn is not None:
                return self._conn
            return self._start_locked()

    def _start_locked(self) -> Connection:
        if not self._dir.is_dir():  # stopped before: a fresh directory, never the old name
            self._dir = self._make_dir()
            self._log_path = self._dir / "bridge.log"
        conn_file = self._dir / f"bridge-{self.generation + 1}.json"
        args = [str(_assets.binary()), "bridge", "--connection-file", str(conn_file),
                "--parent-pid", str(os.getpid())]
        if self._workers:
            args += ["--workers", str(self._workers)]
        if self._backend:
            args += ["--backend", self._backend]
        if "--renderers" not in self._extra:
            # This bridge is the kernel's own (private ipc, this process only):
            # ``renderer=`` in a call is the kernel user's choice, so both are on
            # unless SCADLIVE_RENDERERS narrows them (docs/bridge.md).
            args += ["--renderers", os.environ.get("SCADLIVE_RENDERERS") or "wasm,openscad"]
        args += self._extra
        log = open(self._log_path, "ab")
        env = _assets.binary_env()
        try:
            self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, env=env,
                                          stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        self.generation += 1
        deadline = time.monotonic() + self.START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BridgeStartError(self.exit_description())
            if conn_file.exists():
                try:
                    self._conn = read_connection_file(conn_file)
                    return self._conn
                except (json.JSONDecodeError, BridgeStartError):
                    pass  # written but not complete yet
            time.sleep(0.02)
        self._proc.kill()
        raise BridgeStartError(
            f"the scadlive bridge did not write {conn_file} within "
            f"{self.START_TIMEOUT_S:.0f} s (log: {self._log_path})")

    def lost_error(self) -> BridgeLost:
        return BridgeLost(self.exit_description() + "; it will be restarted on the next call")

    def stop(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            self._conn = None
            shutil.rmtree(self._dir, ignore_errors=True)

    def kill_for_test(self) -> None:
        """SIGKILL the daemon (tests use this to check restart behaviour)."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()


def _pid_alive(conn: Connection) -> bool:
    """Is the bridge of ``conn`` running? Known only for a bridge on this machine:
    ipc, or TCP/WebSocket on loopback; for any other address, True (calls then
    end by their timeouts, as with any remote service)."""
    local = conn.endpoint.startswith("ipc://") or any(
        conn.endpoint.startswith(f"{scheme}://{host}")
        for scheme in ("tcp", "ws") for host in ("127.", "localhost:", "[::1]:"))
    if not local:
        return True
    try:
        os.kill(conn.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


class RunningBridge(BridgeProcess):
    """A bridge someone else started (``scadlive bridge``), found by its connection file.

    Used when ``SCADLIVE_CONNECTION_FILE`` names one: the kernel then starts no
    bridge of its own. The file alone says how to connect (endpoint and, for
    anything but private ipc, the CURVE keys); it is re-read when the bridge is
    restarted, and a bridge that is gone is an error, never a silent switch to
    another one.
    """

    def __init__(self, connection_file: "str | os.PathLike[str]") -> None:  # noqa: D107
        self._lock = threading.Lock()
        self._proc = None
        self._conn = None
        self._path = Path(connection_file)
        self._log_path = self._path  # nothing of ours to show: point at the file
        self.generation = 0

    def alive(self) -> bool:
        return self._conn is not None and _pid_alive(self._conn)

    def exit_description(self) -> str:
        if self._conn is None:
            return f"no running bridge in {self._path}"
        return f"the scadlive bridge in {self._path} (pid {self._conn.pid}) is not running"

    def ensure(self) -> Connection:
        with self._lock:
            if self.alive() and self._conn is not None:
                return self._conn
            try:
                conn = read_connection_file(self._path)
            except FileNotFoundError as exc:
                raise BridgeStartError(f"no scadlive bridge is running at {self._path}: the file does not exist "
                                       f"(a bridge removes it when it stops)") from exc
            except OSError as exc:
                raise BridgeStartError(f"cannot read the bridge connection file {self._path}: "
                                       f"{exc.strerror or exc}") from exc
            except json.JSONDecodeError as exc:
                raise BridgeStartError(f"connection file {self._path} is malformed: {exc}") from exc
            if not _pid_alive(conn):
                raise BridgeStartError(f"the scadlive bridge in {self._path} (pid {conn.pid}) is not running")
            if conn != self._conn:
                self.generation += 1  # a restarted bridge: clients reconnect
            self._conn = conn
            return conn

    def lost_error(self) -> BridgeLost:
        return BridgeLost(self.exit_description() + "; start it again, or unset SCADLIVE_CONNECTION_FILE")

    def stop(self) -> None:
        """Not ours to stop: forget the connection only."""
        with self._lock:
            self._conn = None

    def kill_for_test(self) -> None:
        raise NotImplementedError("a RunningBridge belongs to someone else")
