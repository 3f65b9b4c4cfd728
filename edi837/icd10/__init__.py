"""The ICD-10-CM code set by release: which diagnosis codes are valid and billable on a date of service.

Why: a claim whose diagnosis is not a valid, billable ICD-10-CM code on its date of service (M54.5 after
2021-10-01, when it became a header over M54.50-M54.59; a category such as M54; a code not yet in force)
is rejected before any rule about modifiers matters. The code set changes every October 1, with an update
some years on April 1, so validity is a question of the date.

- `formats`: the CMS/CDC order and codes files, told by content, and the release a file is;
- `limits`: the caps every code file is held to, set from the real files' sizes;
- `store`: the imported releases in SQLite, beside the NCCI database (its own file), read;
- `load`: `icd10 import`, the load into it;
- `shipped`: the releases edi837 ships (codes and flags only), so a new user is covered before any import;
- `build_shipped`: writes the shipped table from the releases' files;
- `source`: what a run reads: the verdict on a code and a date, cached per run;
- `cli`: `edi-fix icd10 import | status | lookup`.

Reading a download under caps, the import's transaction, WAL and note, a hot journal rolled back and
opening the store are shared with the NCCI store: edi837.datafiles.
"""
