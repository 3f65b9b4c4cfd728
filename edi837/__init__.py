"""edi837: fixes X12 837P professional claim files before they go to the clearinghouse.

The Python API is `edi837.fix(data)`: bytes in, a FixResult out (output bytes, change records,
validation warnings). The CLI, the folder watcher and the pre-submit hook all run the same
pipeline underneath.

The API's names are imported on first use (PEP 562 `__getattr__`), not when the package is: every
`edi-fix` start imports this package, and `edi-fix --version` must not pay for the pipeline, lxml,
structlog and typer (about 0.2 s) to print one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from edi837.errors import GateFailed, InputRefused
    from edi837.pipeline import FixOptions, FixResult, Sinks, fix, run
    from edi837.pipeline.configured import options_for

__all__ = ["FixOptions", "FixResult", "GateFailed", "InputRefused", "Sinks", "__version__", "fix", "options_for", "run"]
_HOMES = {"GateFailed": "edi837.errors", "InputRefused": "edi837.errors", "FixOptions": "edi837.pipeline",
          "FixResult": "edi837.pipeline", "Sinks": "edi837.pipeline", "fix": "edi837.pipeline",
          "run": "edi837.pipeline", "options_for": "edi837.pipeline.configured"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'edi837' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
