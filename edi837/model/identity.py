"""Who a claim is for, as a keyed digest two claims can be compared by and nobody can read.

NCCI's unit of edit is one patient, one performing provider, one date of service, across claims
(edi837/engine/partners.py pairs the claims of one file). Telling two claims' patients apart needs the
subscriber's member id (2010BA NM109) and, for a dependant, the patient loop (2010CA name, 2010CA DMG
birth date and gender): patient data the model otherwise never reads. So those fields are read only to be
fed, at once, to a keyed BLAKE2b (a MAC: without the key a digest cannot be recomputed from a guessed
member id) and dropped; what is kept is the 16-byte digest. The key is drawn from the operating system
once per process and never leaves it: a forked worker inherits it with the digests it made, nothing ships
a digest elsewhere (the partners of a chunk travel as claim ids and codes, see engine/partners.py), and
no digest is logged, printed, written or put in a message.
"""

from __future__ import annotations

import os
from hashlib import blake2b

# This process's key (digests are comparable within one run, meaningless outside it), set up once: a copy of
# the keyed state costs less than keying each digest afresh.
_KEYED = blake2b(key=os.urandom(32), digest_size=16)


def keyed_digest(kind: bytes, parts: list[bytes]) -> bytes:
    """The keyed digest of some identifying fields (blanks stripped, upper case), of one `kind`: the same
    person written the same way gives the same digest within this process."""
    digest = _KEYED.copy()
    digest.update(b"\x00".join([kind, *(part.strip().upper() for part in parts)]))
    return digest.digest()
