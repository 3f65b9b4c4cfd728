"""`edi-fix batch`: every 837 file of a folder, fixed on Dask, each exactly as `edi-fix IN OUT` would.

Billing services run hundreds of practices' files a day. Files are independent, so a batch is a bag of
tasks, one per file, each running the one code path (`edi837.delivery.outputs.Outputs`) the CLI, the
watcher and the hook use. Dask (dask.distributed) schedules them: a LocalCluster of worker processes on
one machine by default, or an existing cluster of many machines (`--scheduler`), with no change to the
code. Dask is an optional extra (`pip install 'edi837[dask]'`); it is imported only by `batch`.

Stages: `plan` (which files, where each output goes), `task` (one file, run in a worker: outputs committed
atomically by the task itself), `cluster` (connecting to Dask), `run` (submitting, progress, the summary).
"""
