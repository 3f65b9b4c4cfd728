"""edi837: fixes X12 837P professional claim files before they go to the clearinghouse.

The Python API is `edi837.fix(data)`: bytes in, a FixResult out (output bytes, change records,
validation warnings). The CLI, the folder watcher and the pre-submit hook all run the same
pipeline underneath.
"""

from __future__ import annotations

__version__ = "0.1.0"

from edi837.errors import GateFailed, InputRefused
from edi837.pipeline import FixOptions, FixResult, Sinks, fix, run

__all__ = ["FixOptions", "FixResult", "GateFailed", "InputRefused", "Sinks", "__version__", "fix", "run"]
