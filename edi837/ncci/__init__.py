"""The CMS NCCI store: the quarterly practitioner PTP and MUE files in an embedded SQLite database.

Why a database and not a pack: the practitioner PTP set runs to millions of rows that change every
quarter, with each edit's whole history of date windows; a claim must be checked against the edit in
force on its date of service, and every record must say which CMS file and version decided it. SQLite
(the standard library's sqlite3) holds that in one file, with no server for a practice to run.

- `formats`: the PTP and MUE layouts, told by content, parsed row by row;
- `members`: what a user hands the importer (a ZIP as downloaded, a ZIP of ZIPs, or the extracted file);
- `store`: the database (imports, PTP rows, MUE rows) and the bulk load;
- `paths`: where the database is (`--ncci-db`/`--db`, `EDI837_NCCI_DB`, the per-user data folder);
- `source`: what rules read during a run (pairs and unit limits by date of service, cached per run);
- `cli`: `edi-fix ncci import | status | lookup`.
"""
