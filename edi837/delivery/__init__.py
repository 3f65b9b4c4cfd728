"""Delivery: the ways edi837 runs (the CLI, the folder watcher, the pre-submit hook) and how outputs are
committed (atomically, exactly once)."""
