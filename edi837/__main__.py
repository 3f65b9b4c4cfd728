"""`python -m edi837` runs the `edi-fix` command line."""

from edi837.cli import main

main()
