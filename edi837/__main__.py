"""`python -m edi837` runs the `edi-fix` command line.

Under `-m`, Python puts the current folder first on sys.path. Rule plugins are found through installed
distributions' entry points, which are looked up along sys.path: a folder holding a stray
`*.dist-info` and a module of the same name would have its code imported and run as a rule just by
running edi-fix there. The package itself is already imported at this point, so the entry is removed.
"""

import os
import sys

if sys.path and sys.path[0] in ("", os.getcwd(), "."):
    del sys.path[0]

from edi837.cli.launch import main

sys.exit(main())
