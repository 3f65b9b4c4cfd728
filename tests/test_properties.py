"""Property tests over generated 837P files with random delimiters and line-break layouts.

- with no edit, output == input, byte for byte;
- one random SV1 edit changes exactly that segment (and CLM02 when it is a charge);
- removing a line keeps LX01, CLM02 and SE01 right, and the result passes pyx12.
The checks split the output independently of edi837's tokenizer.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi837.engine import Applicability, ClaimContext, Finding, Fix
from edi837.model.claim import Claim
from edi837.pipeline import FixOptions, fix
from edi837.testing.generator import build_837, random_claims
from edi837.writer.edits import AppendModifier, Edit, RemoveLine, SetCharge, SetUnits
from edi837.x12.envelope import Delimiters
from tests.helpers import pyx12_errors

# Delimiter bytes: punctuation and the ASCII separators X12 files really use; never letters, digits,
# space or line breaks (line breaks are layout here, not delimiters).
NO_BUILTIN_RULES = ("ALL",)  # these properties test the machinery; the rules have a property of their own
DELIMITER_BYTES = [bytes([c]) for c in b"*:^~|>!`\\{}<+"] + [b"\x1c", b"\x1d", b"\x1e", b"\x1f"]


@st.composite
def delimiters(draw: st.DrawFn) -> Delimiters:
    element, segment = draw(st.lists(st.sampled_from(DELIMITER_BYTES), min_size=2, max_size=2, unique=True))
    # ISA11 and ISA16 are element values of the ISA itself, so they must be printable (pyx12 checks it).
    printable = [b for b in DELIMITER_BYTES if b >= b" " and b not in (element, segment)]
    component, repetition = draw(st.lists(st.sampled_from(printable), min_size=2, max_size=2, unique=True))
    return Delimiters(element=element, component=component, repetition=repetition, segment=segment)


@st.composite
def files(draw: st.DrawFn, max_claims: int = 6) -> tuple[bytes, Delimiters]:
    delims = draw(delimiters())
    layout = draw(st.sampled_from(["", "\n", "\r\n", "\r", "mixed"]))
    count = draw(st.integers(1, max_claims))
    seed = draw(st.integers(0, 10_000))
    claims = list(random_claims(count, seed=seed, patient_loop_share=draw(st.sampled_from([0.0, 0.5, 1.0])),
                                minutes_share=draw(st.sampled_from([0.0, 0.5, 1.0]))))
    data = build_837(claims, delimiters=delims, line_break=layout, claims_per_transaction=draw(st.integers(1, 4)),
                     bom=draw(st.booleans()), seed=seed)
    return data, delims


def split(data: bytes, delims: Delimiters) -> list[list[bytes]]:
    """Segments as element lists, line breaks and BOM stripped: an independent reading of the file."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    texts = [s.strip(b"\r\n") for s in data.split(delims.segment)]
    return [t.split(delims.element) for t in texts if t]


@dataclass
class OneEdit:
    """A test rule: apply `edit` to claim number `target` (in file order)."""

    target: int
    edit: Edit
    code: str = "TST001"
    name: str = "one edit"
    seen: int = 0

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return True

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        self.seen += 1
        if self.seen == self.target:
            yield Finding(self.code, claim.claim_id, (), None, "test edit", fix=Fix((self.edit,), Applicability.SAFE))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files())
def test_no_edit_means_identical_bytes(case: tuple[bytes, Delimiters]) -> None:
    data, _ = case
    result = fix(data, FixOptions(validate=False, ignore=NO_BUILTIN_RULES))
    assert result.output == data
    assert result.records == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files(), st.data())
def test_one_sv1_edit_changes_exactly_that_segment(case: tuple[bytes, Delimiters], data: st.DataObject) -> None:
    raw, delims = case
    before = split(raw, delims)
    claims = [i for i, seg in enumerate(before) if seg[0] == b"CLM"]
    target = data.draw(st.integers(1, len(claims)))
    clm_at = claims[target - 1]
    lines = []
    for i in range(clm_at + 1, len(before)):
        if before[i][0] in (b"CLM", b"HL", b"SE"):
            break
        if before[i][0] == b"SV1":
            lines.append(i)
    number = data.draw(st.integers(1, len(lines)))
    sv1_at = lines[number - 1]
    modifiers = [m.decode() for m in before[sv1_at][1].split(delims.component)[2:6] if m]
    kind = data.draw(st.sampled_from(["modifier", "units", "charge"]))
    edit: Edit
    if kind == "modifier":
        distinct = {"59", "XE", "XP", "XS", "XU"}
        taken = set(modifiers) | distinct if distinct & set(modifiers) else set(modifiers)
        choices = [m for m in ("59", "GP", "KX", "25", "AT") if m not in taken]
        if len(modifiers) >= 4 or not choices:
            return
        edit = AppendModifier(number, data.draw(st.sampled_from(choices)))
    elif kind == "units":
        current = Decimal(before[sv1_at][4].decode())
        edit = SetUnits(number, Decimal(data.draw(st.integers(1, 12).filter(lambda u: u != current))), "UN")
    else:
        current = Decimal(before[sv1_at][2].decode())
        amount = data.draw(st.integers(1, 99999).map(lambda c: Decimal(c) / 100).filter(lambda a: a != current))
        edit = SetCharge(number, amount)

    result = fix(raw, FixOptions(validate=False, ignore=NO_BUILTIN_RULES, extra_rules=(OneEdit(target, edit),)))
    assert result.output is not None
    after = split(result.output, delims)
    assert len(after) == len(before)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    expected = {sv1_at} | ({clm_at} if kind == "charge" else set())
    assert set(changed) <= expected and sv1_at in changed
    old, new = before[sv1_at], after[sv1_at]
    diff_elements = [i for i in range(max(len(old), len(new))) if old[i : i + 1] != new[i : i + 1]]
    assert diff_elements == {"modifier": [1], "units": [3, 4] if old[3] != b"UN" else [4], "charge": [2]}[kind]
    if kind == "modifier":
        assert isinstance(edit, AppendModifier)
        assert edit.modifier.encode() in new[1].split(delims.component)[2:]


def _claim_totals_balance(segments: list[list[bytes]], component: bytes) -> None:
    total = None
    lines: list[Decimal] = []
    lx: list[int] = []

    def close() -> None:
        if total is not None:
            assert total == sum(lines, Decimal(0))
            assert lx == list(range(1, len(lx) + 1))

    for seg in segments:
        if seg[0] in (b"CLM", b"HL", b"SE"):
            close()
            total, lines, lx = (Decimal(seg[2].decode()), [], []) if seg[0] == b"CLM" else (None, [], [])
        elif seg[0] == b"SV1" and total is not None:
            lines.append(Decimal(seg[2].decode()))
        elif seg[0] == b"LX" and total is not None:
            lx.append(int(seg[1]))
    close()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files(max_claims=4), st.data())
def test_removing_a_line_keeps_lx_clm02_se01_and_passes_pyx12(case: tuple[bytes, Delimiters],
                                                             data: st.DataObject) -> None:
    raw, delims = case
    before = split(raw, delims)
    # claims with at least two lines (removing the only line is refused by design)
    counts: list[int] = []
    for seg in before:
        if seg[0] == b"CLM":
            counts.append(0)
        elif seg[0] == b"LX":
            counts[-1] += 1
    eligible = [i + 1 for i, n in enumerate(counts) if n >= 2]
    if not eligible:
        return
    target = data.draw(st.sampled_from(eligible))
    number = data.draw(st.integers(1, counts[target - 1]))
    rule = OneEdit(target, RemoveLine(number))
    result = fix(raw, FixOptions(validate=False, ignore=NO_BUILTIN_RULES, extra_rules=(rule,)))
    assert result.output is not None
    after = split(result.output, delims)
    assert len(after) < len(before)
    _claim_totals_balance(after, delims.component)
    # exactly the chosen line went: the claim's SV1 segments are the old ones minus the number-th
    def claim_sv1s(segments: list[list[bytes]]) -> list[list[bytes]]:
        seen, out = 0, []
        for seg in segments:
            if seg[0] == b"CLM":
                seen += 1
            elif seg[0] == b"SV1" and seen == target:
                out.append(seg)
        return out

    old_lines = claim_sv1s(before)
    assert claim_sv1s(after) == old_lines[: number - 1] + old_lines[number:]
    start = 0
    for i, seg in enumerate(after):
        if seg[0] == b"ST":
            start = i
        elif seg[0] == b"SE":
            assert int(seg[1]) == i - start + 1
    assert pyx12_errors(result.output) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files(max_claims=8))
def test_real_rules_touch_only_what_they_report(case: tuple[bytes, Delimiters]) -> None:
    """With the shipped rules: no applied record means identical bytes; otherwise only SV1 (and CLM02,
    LX01, SE01 where they follow) differ, and a second run changes nothing."""
    raw, delims = case
    result = fix(raw, FixOptions(validate=False))
    assert result.output is not None
    if not result.applied:
        assert result.output == raw
        return
    # LX01 is compared apart (below the loop): a removed line renumbers every LX after it, and with the
    # numbers in, the matcher may pair the rest up as an insertion beside two deletions.
    before = [(s[0],) if s[0] == b"LX" else tuple(s) for s in split(raw, delims)]
    after = [(s[0],) if s[0] == b"LX" else tuple(s) for s in split(result.output, delims)]
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        # Rewritten in place: only SV1, and what follows from it (CLM02, LX01 after a removal, SE01).
        if tag == "replace" and i2 - i1 == j2 - j1:
            assert {s[0] for s in before[i1:i2]} <= {b"SV1", b"CLM", b"LX", b"SE"}
            assert [s[0] for s in before[i1:i2]] == [s[0] for s in after[j1:j2]]
        else:
            # Gone: whole 2400 loops only, which the generator writes as LX, SV1, DTP and 2420A NM1 (+PRV).
            assert tag in ("delete", "replace")
            assert {s[0] for s in before[i1:i2]} <= {b"LX", b"SV1", b"DTP", b"NM1", b"PRV", b"CLM", b"SE"}
    assert len(after) <= len(before)
    number = 0
    for segment in split(result.output, delims):  # each claim's lines still numbered 1, 2, 3 ...
        if segment[0] == b"CLM":
            number = 0
        elif segment[0] == b"LX":
            number += 1
            assert segment[1] == str(number).encode()
    again = fix(result.output, FixOptions(validate=False))
    assert again.output == result.output
    assert again.applied == []
