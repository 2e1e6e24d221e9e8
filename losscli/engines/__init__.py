"""Engines execute a :class:`~losscli.plan.Plan` and return a mergeable
:class:`~losscli.engines.partial.Partial`.

``ENGINES`` names them for ``--engine`` (import-light: the modules load when used).
"""

from __future__ import annotations

ENGINES: dict[str, str] = {
    "serial": "losscli.engines.serial",  # one streaming pass in this process
    "dask": "losscli.engines.dask",  # partitions on Dask workers, partials merged here
}
