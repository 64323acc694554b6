"""Frames of the bridge protocol, version 1 (docs/protocol.md).

A message is ZeroMQ multipart: ``b"SCL1"``, a compact JSON header, then any
binary payload frames.
"""
from __future__ import annotations

import json
from typing import Any

from .errors import RenderError

MAGIC = b"SCL1"
# The bridge answers a larger request with TOO_LARGE; a single frame over four
# times this is refused by ZeroMQ with no reply at all, so refuse here first.
MAX_REQUEST = 64 << 20


class ProtocolError(Exception):
    """A reply that does not follow the protocol."""


def encode_request(header: dict[str, Any], payload: list[bytes]) -> list[bytes]:
    frames = [MAGIC, json.dumps(header, separators=(",", ":")).encode("utf-8"), *payload]
    size = sum(len(f) for f in frames)
    if size > MAX_REQUEST:
        raise RenderError("TOO_LARGE", f"the request is {size} bytes, over the bridge's limit of {MAX_REQUEST} "
                          "bytes (the model, its files and parameters together)")
    return frames


def decode_reply(frames: list[bytes]) -> tuple[dict[str, Any], list[bytes]]:
    if len(frames) < 2 or frames[0] != MAGIC:
        raise ProtocolError("reply does not start with the SCL1 magic frame")
    try:
        header = json.loads(frames[1])
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"reply header is not JSON: {exc}") from exc
    if not isinstance(header, dict):
        raise ProtocolError("reply header is not a JSON object")
    return header, list(frames[2:])
