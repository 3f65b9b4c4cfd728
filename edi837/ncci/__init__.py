"""The CMS NCCI store: the quarterly practitioner PTP and MUE files in an embedded SQLite database.

Why a database and not a pack: the practitioner PTP set runs to millions of rows that change every
quarter, with each edit's whole history of date windows; a claim must be checked against the edit in
force on its date of service, and every record must say which CMS file and version decided it. SQLite
(the standard library's sqlite3) holds that in one file, with no server for a practice to run.

- `formats`: the PTP layout (and how a file's kind is told by content), parsed row by row;
- `mue`: the MUE table, parsed row by row;
- `limits`: the caps every file is held to (sizes, rows, line length, ZIP entries and nesting), and why;
- `store`: the database (imports, PTP rows, MUE rows), read;
- `load`: `ncci import`, the bulk load into it;
- `journal`: the names callers use of what an import leaves beside the database (WAL during an import, a
  hot journal rolled back, the note a killed import leaves);
- `paths`: where the database is (`--ncci-db`/`--db`, `EDI837_NCCI_DB`, the per-user data folder);
- `source`: what rules read during a run (pairs and unit limits by date of service, cached per run);
- `cli`: `edi-fix ncci import | status | lookup`.

Reading a download (`members`), the import's transaction, WAL and note (`load`, `journal`), opening the
database and the caps' mechanism are shared with the ICD-10-CM store: edi837.datafiles.
"""
