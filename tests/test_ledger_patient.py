"""The patient digest (ledger/patient.py): HMAC-SHA256 under the ledger's key of what identifies the person
(each field stripped and upper-cased, the labels too), worked out here with the standard library's own hmac;
the same when asked again; read from the loops between claims, whatever other NM1 segments stand there."""

from __future__ import annotations

import hashlib
import hmac

from edi837.ledger.patient import DIGEST_HEX, PatientKeys, Tracker
from edi837.x12.envelope import Delimiters

KEY = bytes(range(32))
DELIMS = Delimiters(element=b"*", component=b":", repetition=b"^", segment=b"~")


def by_hand(message: bytes) -> str:
    return hmac.new(KEY, message, hashlib.sha256).hexdigest()[:DIGEST_HEX]


def test_a_digest_is_the_hmac_of_the_normalised_fields_and_stays_so() -> None:
    keys = PatientKeys(KEY)
    member = by_hand(b"MEMBER\x00MI\x00MBR123")
    dependant = by_hand(b"DEPENDANT\x00MI\x00MBR123\x00PATIENT\x00ROE\x00KIDDO\x00\x00\x0020150101\x00F")
    for _ in range(2):  # asked again: the same
        assert keys.digest([b"MI", b" mbr123 "], None) == member
        assert keys.digest([b"MI", b"MBR123"], [b"Roe", b"Kiddo", b"", b"", b"20150101", b"f"]) == dependant
    assert PatientKeys(KEY).digest([b"MI", b"MBR123"], None) == member  # another run, the same key
    assert PatientKeys(bytes(32)).digest([b"MI", b"MBR123"], None) != member


def test_the_tracker_reads_the_subscriber_and_the_patient_not_the_payer() -> None:
    tracker = Tracker(PatientKeys(KEY), DELIMS)
    tracker.feed(b"HL*2*1*22*0~\nSBR*P*18*******MB~\nNM1*IL*1*PUBLIC*JOHN****MI*MBR123~\nDMG*D8*19540216*M~\n"
                 b"NM1*PR*2*EXAMPLE MEDICARE*****PI*MCR01~\n")
    assert tracker.current == by_hand(b"MEMBER\x00MI\x00MBR123")
    # The first segment of the bytes counts too (no terminator before it); a 2000C names the dependant.
    tracker.feed(b"HL*3*2*23*0~PAT*19~NM1*QC*1*ROE*KIDDO~DMG*D8*20150101*F~")
    assert tracker.current == by_hand(b"DEPENDANT\x00MI\x00MBR123\x00PATIENT\x00ROE\x00KIDDO\x00\x00\x0020150101\x00F")
    tracker.feed(b"HL*4*1*22*0~NM1*IL*1*ROE*MARY****MI*MBR999~")
    assert tracker.current == by_hand(b"MEMBER\x00MI\x00MBR999")
    tracker.feed(b"HL*5*1*22*0~NM1*PR*2*EXAMPLE HEALTH*****PI*SX123~")  # a payer is not a member
    assert tracker.current is None


def test_a_digest_is_hmac_sha256_for_keys_of_every_length() -> None:
    # RFC 2104: a key longer than SHA-256's 64-byte block is hashed first, a shorter one padded with zeros;
    # the digests are made from pre-keyed SHA-256 states, so each length must still give hmac's answer.
    for key in (b"", b"k", bytes(range(63)), bytes(range(64)), bytes(range(65)), bytes(200)):
        expected = hmac.new(key, b"MEMBER\x00MI\x00MBR123", hashlib.sha256).hexdigest()[:DIGEST_HEX]
        assert PatientKeys(key).digest([b"mi", b"mbr123"], None) == expected
