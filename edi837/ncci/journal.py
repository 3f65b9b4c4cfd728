"""What an import leaves beside the NCCI database while it runs or after it was killed, and how readers get
past it: the same as for every store, in edi837.datafiles.journal (WAL during an import, the note a killed
import leaves, a hot journal rolled back). The names kept here are those a caller of the NCCI store uses.
"""

from edi837.datafiles.journal import ImportNote, in_wal, read_note, sibling

__all__ = ["ImportNote", "in_wal", "read_note", "sibling"]
