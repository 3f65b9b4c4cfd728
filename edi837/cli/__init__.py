"""The command line, the top floor: one module per command, the run flags they share, the dispatcher.

Nothing is imported here: `edi-fix --version` (cli/launch.py) must not pay for typer and the pipeline.
"""
