"""What edi837's own tests use, importable by plugin authors: the rule-case harness (`cases`) and the
synthetic 837P generator (`generator`). Nothing here is used by a fix run."""
