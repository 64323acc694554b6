"""Requests over the bridge's size limit are refused by the client itself.

The bridge answers a request over 64 MiB with TOO_LARGE, but a single frame
over 256 MiB is refused by ZeroMQ by closing the connection, with no reply:
without this check such a call would wait for nothing (docs/protocol.md).
"""
from __future__ import annotations

import pytest

from scadlive import _protocol
from scadlive.errors import RenderError


def test_a_request_over_the_limit_is_too_large_before_it_is_sent() -> None:
    with pytest.raises(RenderError) as info:
        _protocol.encode_request({"type": "render", "id": "x", "source": " " * (300 << 20)}, [])
    assert info.value.code == "TOO_LARGE"
    assert "67108864" in info.value.message


def test_payload_frames_count_toward_the_limit() -> None:
    with pytest.raises(RenderError):
        _protocol.encode_request({"type": "render", "id": "x", "source": "cube(1);"}, [b"\0" * (64 << 20)])
    frames = _protocol.encode_request({"type": "render", "id": "x", "source": "cube(1);"}, [b"\0" * 1000])
    assert frames[0] == b"SCL1" and len(frames) == 3
