"""scadlive on a Dask cluster: a bridge per worker process, and the task that renders one variant.

Imported only when ``scadlive.batch(client=...)`` is used (it needs
``distributed``); workers import it by name, so they need the scadlive
package installed, not the model's files (those travel with the tasks).
"""
from __future__ import annotations

from typing import Any

import fsspec
from distributed import WorkerPlugin, get_worker

from ._batch import _Job, _render_variant, _thread_client, _write
from ._process import BridgeProcess
from .errors import ScadliveError


class BridgePlugin(WorkerPlugin):
    """One scadlive bridge per Dask worker process.

    Started once when the worker starts (or when the plugin is registered),
    with one renderer per worker thread unless ``renderers`` says otherwise;
    it runs with ``--parent-pid`` of the worker, so it ends with the worker
    even when the worker is killed. ``scadlive.batch(client=...)`` registers
    it; a worker that joins later starts its bridge as it starts.
    """

    name = "scadlive-bridge"

    def __init__(self, renderers: int | None = None, backend: str | None = None) -> None:
        self.renderers = renderers
        self.backend = backend
        self.process: BridgeProcess | None = None

    def setup(self, worker: Any) -> None:
        n = self.renderers or getattr(getattr(worker, "state", None), "nthreads", None) or 1
        self.process = BridgeProcess(workers=int(n), backend=self.backend)
        self.process.ensure()

    def teardown(self, worker: Any) -> None:
        if self.process is not None:
            self.process.stop()


def has_bridge(dask_worker: Any) -> bool:
    """(client.run) Does this worker run a scadlive bridge already?"""
    plugin = dask_worker.plugins.get(BridgePlugin.name)
    return plugin is not None and getattr(plugin, "process", None) is not None


def render_on_worker(job: _Job, params: dict[str, Any], out: tuple[str, list[str]] | None
                     ) -> tuple[dict[str, Any], dict[str, bytes]]:
    """One variant on this worker's bridge: (manifest fields, {extension: bytes}).

    With ``out`` (the output URL and this variant's paths) the files are
    written here, straight to storage every worker reaches, and no bytes go
    back; each is written under a temporary name and renamed, so a worker
    killed mid-write leaves no partial file under the final name.
    """
    worker = get_worker()
    plugin = worker.plugins.get(BridgePlugin.name)
    if plugin is None or getattr(plugin, "process", None) is None:
        raise ScadliveError("this Dask worker has no scadlive bridge (BridgePlugin is not registered)")
    row, outputs = _render_variant(_thread_client(plugin.process).request, job, params, None)
    row["worker"] = worker.address
    if out is not None and row["error"] is None:
        fs, _ = fsspec.core.url_to_fs(out[0])
        for (_, _, ext), path in zip(job.formats, out[1]):
            _write(fs, path, outputs[ext])
        outputs = {}
    return row, outputs
