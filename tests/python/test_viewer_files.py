"""The files a model includes go to the page by content: a manifest of
[path, hash], and the contents only for the hashes the page asks for."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import scadlive
from scadlive import _deps


def test_files_go_by_content_hash_and_only_asked_contents_are_sent(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.scad").write_text("module a() cube(1);\n")
    (tmp_path / "lib" / "b.scad").write_text("module b() cube(2);\n")
    model = tmp_path / "m.scad"
    model.write_text("include <lib/a.scad>\ninclude <lib/b.scad>\na(); b();\n")
    viewer = scadlive.Viewer(path=model, renderer="browser")
    sent: list[tuple[dict[str, Any], list[bytes]]] = []
    viewer.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))  # type: ignore[method-assign]

    viewer._on_custom_msg(viewer, {"type": "need-files"}, [])
    manifest, buffers = sent[-1]
    assert manifest["type"] == "files" and buffers == [], "the manifest carries no contents"
    hashes = dict(manifest["files"])
    assert set(hashes) == {"lib/a.scad", "lib/b.scad"}
    assert hashes["lib/a.scad"] == _deps.content_hash(b"module a() cube(1);\n")
    assert len(set(hashes.values())) == 2 and all(len(h) == 32 for h in hashes.values())

    # the page asks for one content (it has the other) and for one it cannot get
    viewer._on_custom_msg(viewer, {"type": "need-blobs", "hashes": [hashes["lib/b.scad"], "0" * 32]}, [])
    reply, buffers = sent[-1]
    assert reply == {"type": "blobs", "hashes": [hashes["lib/b.scad"]], "asked": [hashes["lib/b.scad"], "0" * 32]}
    assert buffers == [b"module b() cube(2);\n"]
    # a malformed request gets an empty answer, not an exception
    viewer._on_custom_msg(viewer, {"type": "need-blobs", "hashes": "nope"}, [])
    assert sent[-1] == ({"type": "blobs", "hashes": [], "asked": []}, [])
