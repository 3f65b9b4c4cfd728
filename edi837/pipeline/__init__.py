"""The one pipeline every entry point runs: options in, a result out (`run`, and `fix` for bytes in memory).

options.py (FixOptions, Sinks) -> run.py (the passes: rules, edits, output) -> gating.py (the gate step)
-> result.py (FixResult); hold.py is the hold policy, state.py what the steps share during one run. The
names below are the package's face: the API (`edi837.fix`), the delivery and the batch import them here.
"""

from edi837.pipeline.options import FarmStarter, FixOptions, Sinks
from edi837.pipeline.result import FixResult
from edi837.pipeline.run import build_engine, fix, run

__all__ = ["FarmStarter", "FixOptions", "FixResult", "Sinks", "build_engine", "fix", "run"]
