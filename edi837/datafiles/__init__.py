"""What the CMS data stores share: where a store's file is, how a download is read, how an import writes and
how readers get past it.

Two stores hold CMS data a user imports: the NCCI edits (`edi837.ncci`, quarterly) and the ICD-10-CM code
set (`edi837.icd10`, yearly, with an April update). Each is its own SQLite file beside the other in the
per-user data folder. Both are imported and read the same way, by the modules here; each store keeps only
what is its own (its files' layouts and kinds, its caps' numbers, its schema, its words):

- `location`: where a store is (option, environment variable, per-user file) and the words for messages;
- `limits`: the caps every file is held to (bytes and rows per kind, line length, ZIP entries and nesting)
  and the test variable that lowers them; each store sets its numbers;
- `lines`: the refusal every reader raises, and lines of bounded length;
- `members`: what a user hands an import (a ZIP as downloaded, a ZIP of ZIPs, the extracted file), read
  under the caps, a damaged ZIP said as what it is;
- `sqlite`: what makes a file a store, and opening it to read;
- `load`: the import (one transaction, a savepoint per file, WAL while it runs, a note a kill leaves);
- `journal`: that WAL, that note, a hot journal rolled back, and what `status` says about them.
"""
