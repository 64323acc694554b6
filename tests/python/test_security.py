"""The Python client and a bridge that needs CURVE keys (docs/bridge.md, "Security model").

The real bridge, started by the package's own BridgeProcess on loopback TCP:
the connection file alone must be enough to reach it, and a client without
its keys must get nothing at all.
"""
from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

from scadlive import _assets, _runtime
from scadlive import _protocol as proto
from scadlive._process import BridgeProcess, Connection, RunningBridge
from scadlive._source import load
from scadlive.api import build_render_request
from scadlive.client import AsyncBridgeClient, SyncBridgeClient
from scadlive.errors import BridgeLost, BridgeStartError

NO_REPLY_WAIT_MS = 1500


@pytest.fixture(scope="module")
def tcp_bridge() -> Iterator[tuple[BridgeProcess, Connection]]:
    proc = BridgeProcess(workers=1, extra_args=["--endpoint", "tcp://127.0.0.1:0"])
    try:
        yield proc, proc.ensure()
    finally:
        proc.stop()


def _ping_raw(endpoint: str, keys: tuple[bytes, bytes, bytes] | None) -> bool:
    """Ping with a bare pyzmq socket; True if any reply came back.

    The send is bounded too: a DEALER blocks in send while it has no peer, and
    a CURVE handshake the bridge refuses drops the connection and retries, so
    a client without the keys may never have one (the suite hung here once,
    2026-12-02). A ping that could not even be sent got nothing back.
    """
    sock = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SNDTIMEO, NO_REPLY_WAIT_MS)
    try:
        if keys is not None:
            sock.curve_serverkey, sock.curve_publickey, sock.curve_secretkey = keys
        sock.connect(endpoint)
        try:
            sock.send_multipart(proto.encode_request({"type": "ping", "id": str(uuid.uuid4())}, []))
        except zmq.Again:
            return False
        return bool(sock.poll(NO_REPLY_WAIT_MS))
    finally:
        sock.close(linger=0)


def test_the_connection_file_has_the_real_port_and_the_keys(tcp_bridge: tuple[BridgeProcess, Connection]) -> None:
    _, conn = tcp_bridge
    host, _, port = conn.endpoint.rpartition(":")
    assert host == "tcp://127.0.0.1" and 0 < int(port) < 65536
    assert conn.curve is not None
    assert conn.path.stat().st_mode & 0o777 == 0o600


def test_sync_and_async_clients_connect_from_the_file_alone(tcp_bridge: tuple[BridgeProcess, Connection]) -> None:
    proc, _ = tcp_bridge
    client = SyncBridgeClient(proc)
    try:
        pong = client.request({"type": "ping"}, timeout=10).header
        assert pong["pong"] is True
        assert pong["renderers"] == ["wasm", "openscad"]  # the package's own bridge allows both
        stl = client.request(build_render_request(load("cube(3);"), None), timeout=60).payload[0]
        assert (len(stl) - 84) // 50 == 12
    finally:
        client.close()


async def test_async_client_connects_from_the_file_alone(tcp_bridge: tuple[BridgeProcess, Connection]) -> None:
    proc, _ = tcp_bridge
    client = AsyncBridgeClient(proc)
    try:
        reply = await client.request({"type": "ping"}, timeout=10)
        assert reply.header["pong"] is True
    finally:
        client.close()


def test_a_client_without_the_keys_gets_nothing(tcp_bridge: tuple[BridgeProcess, Connection]) -> None:
    _, conn = tcp_bridge
    assert conn.curve is not None
    assert not _ping_raw(conn.endpoint, None)
    public, secret = zmq.curve_keypair()  # a key pair of its own, with the (public) server key
    assert not _ping_raw(conn.endpoint, (conn.curve.serverkey.encode(), public, secret))
    # the control: the same bare socket with the file's keys is answered
    assert _ping_raw(conn.endpoint, (conn.curve.serverkey.encode(), conn.curve.publickey.encode(),
                                     conn.curve.secretkey.encode()))


@pytest.fixture
def shared_bridge(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """A bridge someone else started on loopback TCP: only its connection file is shared."""
    conn_file = tmp_path / "bridge.json"
    proc = subprocess.Popen([str(_assets.binary()), "bridge", "--endpoint", "tcp://127.0.0.1:0",
                             "--connection-file", str(conn_file), "--workers", "1"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=_assets.binary_env())
    try:
        deadline = time.monotonic() + 30
        while not conn_file.exists():
            assert proc.poll() is None and time.monotonic() < deadline, "the bridge did not start"
            time.sleep(0.05)
        yield proc, conn_file
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_a_running_bridge_is_used_from_its_connection_file_alone(
        shared_bridge: tuple[subprocess.Popen[bytes], Path]) -> None:
    proc, conn_file = shared_bridge
    bridge = RunningBridge(conn_file)
    sync, aio = SyncBridgeClient(bridge), AsyncBridgeClient(bridge)
    try:
        assert bridge.ensure().curve is not None
        stl = sync.request(build_render_request(load("cube(2);"), None), timeout=60).payload[0]
        assert (len(stl) - 84) // 50 == 12
        assert (await aio.request({"type": "ping"}, timeout=10)).header["pid"] == proc.pid
        proc.terminate()
        proc.wait(timeout=10)
        # gone: a clear error, not a hang and not a bridge of our own instead
        with pytest.raises((BridgeLost, BridgeStartError), match="not running|no scadlive bridge is running"):
            sync.request({"type": "ping"}, timeout=10)
    finally:
        sync.close()
        aio.close()
    bridge.stop()
    assert proc.returncode is not None  # stop() does not touch someone else's bridge


def test_scadlive_connection_file_selects_the_running_bridge(
        shared_bridge: tuple[subprocess.Popen[bytes], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    _, conn_file = shared_bridge
    monkeypatch.setenv("SCADLIVE_CONNECTION_FILE", str(conn_file))
    assert isinstance(_runtime.new_process(), RunningBridge)
    monkeypatch.setenv("SCADLIVE_CONNECTION_FILE", str(conn_file.parent / "missing.json"))
    with pytest.raises(BridgeStartError, match="no scadlive bridge is running at .*missing.json"):
        _runtime.new_process().ensure()
    monkeypatch.delenv("SCADLIVE_CONNECTION_FILE")
    assert type(_runtime.new_process()) is BridgeProcess


def test_stop_removes_the_bridge_directory_and_a_restart_makes_a_fresh_one() -> None:
    proc = BridgeProcess(workers=1)
    first = proc.ensure().path.parent
    assert first.is_dir() and first.stat().st_mode & 0o777 == 0o700
    proc.stop()
    assert not first.exists()  # connection files, log: nothing left in /tmp
    try:
        again = proc.ensure().path.parent
        assert again != first and again.stat().st_mode & 0o777 == 0o700
    finally:
        proc.stop()
    assert not again.exists()
