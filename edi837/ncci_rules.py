"""NCCI rules: modifiers for 97140 billed with chiropractic manipulation or with 97530, and other pairs.

These are the denials the practices lose money on. Which codes pair, in which column order, with
which modifier indicator and in which date window is data (rules/ncci.toml); which diagnoses name
which anatomic region is data (rules/regions.toml); which modifier a payer wants is data
(rules/payers/*.toml). This module holds only the logic.

Modifier hygiene applies to every fix here: never a duplicate; 59 and an X modifier never together
(an existing XS satisfies a payer that wants 59 and the reverse, unless the payer profile says
`exact_modifier = true`); at most four modifiers (a fifth needed is a review item, no change); and
the order pricing -> payment -> informational -> location from rules/modifiers.toml.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from edi837.edits import DISTINCT_MODIFIERS, MAX_MODIFIERS, AppendModifier
from edi837.engine import Applicability, ClaimContext, Finding, Fix, Severity
from edi837.loops import Claim, ServiceLine
from edi837.packs import NO_SITE, NcciPair, PayerProfile, RulePacks
from edi837.words import article

CMT_DEFAULT = ("98940", "98941", "98942")
EXTRASPINAL_DEFAULT = ("98943",)
# 59/X modifiers that assert a distinct site or service, which the diagnosis pointers can contradict. XE (a
# separate encounter the same day) is not about the site, and the 837 cannot show encounters: never checked.
SITE_MODIFIERS = frozenset({"59", "XS", "XU", "XP"})


def cmt_settings(packs: RulePacks) -> tuple[tuple[str, ...], str]:
    """NC001's CMT codes and manual-therapy code: NC002 and NC003 must agree with NC001 on them."""
    settings = packs.rules.get("NC001", {})
    return tuple(settings.get("cmt_codes", CMT_DEFAULT)), str(settings.get("manual_therapy", "97140"))


def extraspinal_cmt(packs: RulePacks) -> tuple[str, ...]:
    """The extraspinal manipulation codes (98943): the regions they manipulate count as manipulated too."""
    return tuple(packs.rules.get("NC001", {}).get("extraspinal_cmt_codes", EXTRASPINAL_DEFAULT))


def wanted_modifier(context: ClaimContext, rule: str) -> str:
    """The distinct-procedure modifier the claim's payer wants for this rule (59 without packs)."""
    return context.profile.modifier(rule) if context.profile else "59"


def lines_by_date(claim: Claim) -> dict[date | None, list[ServiceLine]]:
    days: dict[date | None, list[ServiceLine]] = defaultdict(list)
    for line in claim.lines:
        days[line.service_date].append(line)
    return days


def performer_key(claim: Claim, line: ServiceLine) -> str | None:
    """Who performed a line, as a key two lines can be compared by: NCCI pairs one provider's services.

    The NPI of its 2420A, else the claim's 2310B, else the billing provider, whatever order the provider
    loops came in (a 2310A referring provider before 2310B changes nothing). A claim-level 2310B without
    an NPI is still one provider for every line it covers; a line's own 2420A without an NPI cannot be
    told apart from anyone: None (unknown).
    """
    provider = claim.performer(line)
    if provider.npi:
        return provider.npi
    return None if provider.loop.startswith("2420") else provider.loop


def same_performer(claim: Claim, a: ServiceLine, b: ServiceLine) -> bool | None:
    """True or False when both performers are known; None when either is not (a 2420A without an NPI)."""
    if a is b:
        return True
    key_a, key_b = performer_key(claim, a), performer_key(claim, b)
    return None if key_a is None or key_b is None else key_a == key_b


def other_pairs_bypassed(packs: RulePacks, claim: Claim, line: ServiceLine, lines: list[ServiceLine],
                         day: date | None, handled: frozenset[str]) -> list[str]:
    """The other indicator-1 NCCI pairs a 59/X on `line` would bypass as well, that day, for its performer.

    A distinct-procedure modifier on a column-2 code bypasses every indicator-1 edit in which that code is
    column 2, not only the pair it was added for, so a rule that has shown one pair distinct must not add
    it while another such pair stands unshown (97140 beside CMT on another region, but beside traction
    on the same neck). Pairs where the line's code is column 1 are left to their column-2 line, which
    carries its own modifier decision. `handled` are the partner codes the calling rule has judged.
    """
    labels = []
    for other in lines:
        if other is line or other.procedure in handled or same_performer(claim, line, other) is False:
            continue
        for pair in packs.pairs_for(line.procedure, other.procedure, day):
            if pair.modifier_indicator == 1 and pair.column2 == line.procedure and pair.label not in labels:
                labels.append(pair.label)
    return labels


def satisfied(line: ServiceLine, wanted: str, profile: PayerProfile | None) -> bool:
    """True when the line already carries the modifier, or an equivalent the payer accepts."""
    if wanted in line.modifiers:
        return True
    exact = profile is not None and profile.exact_modifier
    return not exact and any(m in DISTINCT_MODIFIERS for m in line.modifiers)


def modifier_finding(rule: str, claim: Claim, line: ServiceLine, wanted: str, profile: PayerProfile | None,
                     message: str, source: str, applicability: Applicability, approved: bool) -> Finding | None:
    """The finding that appends `wanted` to a line, with the hygiene rules applied.

    None when nothing needs doing (the modifier, or an accepted equivalent, is already there).
    """
    if satisfied(line, wanted, profile):
        return None  # an existing 59/X satisfies the edit; adding another would be "59 beside X"
    present = [m for m in line.modifiers if m in DISTINCT_MODIFIERS]
    if present:
        assert profile is not None
        return Finding(rule, claim.claim_id, (line.number,), line.procedure,
                       f"{message}; the payer ({profile.name}) requires {wanted} but the line carries "
                       f"{', '.join(present)}: replace it by hand (59 and X modifiers never go together)",
                       Severity.WARNING, None, source)
    if len(line.modifiers) >= MAX_MODIFIERS:
        return Finding(rule, claim.claim_id, (line.number,), line.procedure,
                       f"{message}; SV101 already holds {MAX_MODIFIERS} modifiers ({':'.join(line.modifiers)}), "
                       f"so {wanted} cannot be added: a person must decide which modifiers the payer needs",
                       Severity.WARNING, None, source)
    return Finding(rule, claim.claim_id, (line.number,), line.procedure, f"{message}: append {wanted}",
                   Severity.INFO, Fix((AppendModifier(line.number, wanted),), applicability, approved), source)


def _regions(packs: RulePacks, claim: Claim, lines: list[ServiceLine]) -> tuple[set[str], list[str]]:
    """The known anatomic regions of the diagnoses some lines point to, and what leaves them unknown:
    codes with no region in the pack, and lines whose pointers name nothing reliable."""
    known: set[str] = set()
    unknown: list[str] = []
    for line in lines:
        problem = claim.pointer_problem(line)
        if problem:
            unknown.append(f"line {line.number}: {problem}")
            continue
        for diagnosis in claim.diagnoses_for(line):
            region, is_known = packs.region_of(diagnosis.code)
            if is_known and region == NO_SITE:
                continue  # an external cause says how, not where: no region either way
            if is_known and region is not None:
                known.add(region)
            else:
                unknown.append(diagnosis.dotted)
    return known, unknown


def _words(regions: set[str]) -> str:
    return ", ".join(sorted(r.replace("_", " ") for r in regions))


HNS_SOURCE = ("97140 with CMT 'ONLY if the therapy is provided to an anatomical region different from the "
              "region(s) manipulated', shown by the diagnosis linked to 97140 (healthnetworksolutions.net, manual "
              "therapy CPT 97140); ChiroCode Q&A 97124 vs 97140")


class CmtManualTherapy:
    """NC001 cmt-manual-therapy: 97140 beside chiropractic manipulation on another region gets the modifier.

    What it does: on a claim with manipulation (98940-98942 spinal, 98943 extraspinal) and a 97140 line on
    the same date of service by the same performing provider (2420A, else 2310B, else the billing
    provider, whatever other provider loops the claim has), it compares the anatomic regions of the
    diagnoses each line points to (SV107). Every manipulation line of that day counts: a shoulder that
    98943 manipulated is a manipulated region. If 97140 points to at least one diagnosis whose region is
    not manipulated, and NCCI pairs the manipulation with 97140 (indicator 1), it appends the payer's
    distinct-procedure modifier to 97140 (safe fix). If every diagnosis it points to is in a manipulated
    region, it reports a review item and changes nothing; so it does when 97140 already carries 59, XS, XU
    or XP on a manipulated region (what auditors flag). Unknown regions (a code the pack does not place, a
    pointer past the last diagnosis, an SV107 that cannot be read) are never treated as distinct: review.
    It never puts the modifier on the manipulation line, never edits a void or a line a prior payer
    adjudicated, and leaves an XE (separate encounter) alone.

    Why: NCCI pairs CMT (column 1) with 97140 (column 2), modifier indicator 1. 97140 is payable beside
    CMT only on an anatomic region other than those manipulated; the diagnosis pointers are the proof a
    payer reads. Without the modifier 97140 is denied; with it on the same region it is an overpayment
    and an audit finding.

    Example: 98940 -> M99.03 (lumbar), 97140 -> M25.511 (shoulder, upper extremity):
    `SV1*HC:97140*40*UN*1***2` becomes `SV1*HC:97140:59*40*UN*1***2` for a payer wanting 59.

    Fix safety: safe only when the pointers prove a region that was not manipulated; everything else is
    a review item.

    Source: NCCI PTP 98940-98942/97140, indicator 1 (chiro.org "Decoding Manual Therapy"; ChiroEconomics
    on the 59 modifier); "ONLY if the therapy is provided to an anatomical region different from the
    region(s) manipulated" and the diagnosis-pointer proof (healthnetworksolutions.net, manual therapy
    97140; ChiroCode Q&A 97124 vs 97140); extraspinal regions (AMA CPT Assistant Feb 1997, CMT body regions).
    """

    code = "NC001"
    name = "cmt-manual-therapy"

    def __init__(self, packs: RulePacks) -> None:
        self.packs = packs
        self.cmt, self.manual = cmt_settings(packs)
        self.manipulation = (*self.cmt, *extraspinal_cmt(packs))

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return claim.may_bill(self.manual) and any(claim.may_bill(c) for c in self.manipulation)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        packs, profile = self.packs, context.profile
        wanted = wanted_modifier(context, self.code)
        for day, lines in lines_by_date(claim).items():
            for manual in (line for line in lines if line.procedure == self.manual):
                if "XE" in manual.modifiers:
                    continue  # a separate encounter the same day: nothing on the claim can confirm or deny it
                manipulations = [c for c in lines if c.procedure in self.manipulation]
                unidentified = [c for c in manipulations if same_performer(claim, c, manual) is None]
                partners = [c for c in manipulations if same_performer(claim, c, manual)]
                if unidentified:
                    who = manual if performer_key(claim, manual) is None else unidentified[0]
                    yield self._review(claim, manual, f"{self.manual} and manipulation on {day}: line {who.number}'s "
                                       "performer (a 2420A without an NPI) cannot be identified, so whether NCCI "
                                       "pairs the two cannot be shown; check who performed them",
                                       HNS_SOURCE)
                    continue
                if not partners:
                    continue
                pairs = [p for c in partners for p in packs.pairs_for(c.procedure, self.manual, day)
                         if p.column1 == c.procedure and p.column2 == self.manual and p.modifier_indicator == 1]
                pair = pairs[0] if pairs else None
                source = pair.citation if pair else HNS_SOURCE
                names = ", ".join(sorted({c.procedure for c in partners}))
                claimed = [m for m in manual.modifiers if m in SITE_MODIFIERS]
                cmt_regions, cmt_unknown = _regions(packs, claim, partners)
                if cmt_unknown:
                    if pair is not None and not satisfied(manual, wanted, profile):
                        yield self._review(claim, manual, f"{self.manual} billed with manipulation {names} on {day}: "
                                           f"what was manipulated is unknown ({'; '.join(cmt_unknown)}), so a "
                                           "distinct region cannot be shown; check the documentation", source)
                    continue
                manual_regions, manual_unknown = _regions(packs, claim, [manual])
                distinct = manual_regions - cmt_regions
                if distinct:
                    if pair is None:
                        continue  # another region and no NCCI edit between these codes: nothing to add
                    bypassed = other_pairs_bypassed(packs, claim, manual, lines, day, frozenset(self.manipulation))
                    if bypassed and not satisfied(manual, wanted, profile):
                        yield self._review(claim, manual, f"{self.manual} points to {article(_words(distinct))} "
                                           "diagnosis, a region other than the manipulated "
                                           f"{_words(cmt_regions)}, but a {wanted} would also bypass NCCI "
                                           f"{', '.join(bypassed)}, which nothing on the claim shows distinct; "
                                           "decide by hand", source)
                        continue
                    finding = modifier_finding(
                        self.code, claim, manual, wanted, profile,
                        f"{self.manual} points to {article(_words(distinct))} diagnosis, a region other than "
                        f"the manipulated {_words(cmt_regions)} ({names}, NCCI {pair.label} indicator 1)",
                        source, Applicability.SAFE, approved=False)
                    if finding is not None:
                        yield finding
                    continue
                if not manual_regions:
                    if claimed or pair is None:
                        continue  # nothing shows the modifier wrong, and nothing would be added
                    why = (f"{self.manual} points only to {'; '.join(manual_unknown)}, whose region is unknown"
                           if manual_unknown else f"{self.manual} points to no diagnosis that names a body region")
                    yield self._review(claim, manual, f"{why} ({names} on {day}); not modified: bill it only with "
                                       "documentation of a separate region, or remove it", source)
                    continue
                regions = _words(manual_regions)
                if claimed:
                    yield self._review(claim, manual, f"{self.manual} carries {', '.join(claimed)} but points only to "
                                       f"the manipulated {regions} region ({names} on {day}): manual therapy on a "
                                       "manipulated region is included in the manipulation, and auditors recoup it; "
                                       "check the documentation for a separate region, or remove the line", source)
                    continue
                yield self._review(claim, manual, f"{self.manual} points only to the manipulated region ({regions}) "
                                   f"({names} on {day}); manual therapy on a manipulated region is included in the "
                                   "manipulation; not modified: bill it only with documentation of a separate "
                                   "region, or remove it", source)

    def _review(self, claim: Claim, line: ServiceLine, message: str, source: str) -> Finding:
        return Finding(self.code, claim.claim_id, (line.number,), line.procedure, message, Severity.WARNING, None,
                       source)


class ManualTherapyTherapeuticActivities:
    """NC002 therapy-time-blocks: 97140 with 97530 on the same day gets the distinct modifier on 97530.

    What it does: on a claim with 97140 and 97530 lines on the same date of service (same performing
    provider), it appends the payer's distinct-procedure modifier to the NCCI column-2 code of the
    pair in the pack (97530). Pack settings under [rules.NC002]: `action = "review"` reports instead
    of fixing; `modifier_on = "column1"` puts the modifier on 97140 instead.

    Why: NCCI pairs 97140 (column 1) with 97530 (column 2), indicator 1; 97530 is denied unless the
    two were done in separate time blocks and the claim says so with 59/X. The 837 cannot show time
    blocks, so the fix is a `review` fix that the shipped pack approves: its log message says it rests
    on the practice's documentation of separate time blocks.

    Example: 97530 billed beside 97140 on 2026-03-03: `SV1*HC:97530*45*UN*1***2` becomes
    `SV1*HC:97530:59*45*UN*1***2`.

    Source: WebPT "How to handle modifier 59 denials for 97530 and 97140" (2023), quoting the CMS
    example ("97530 should not be reported and modifier 59 should not be used if the two procedures
    are performed during the same time block").
    """

    code = "NC002"
    name = "therapy-time-blocks"

    def __init__(self, packs: RulePacks) -> None:
        self.packs = packs
        settings = packs.rules.get(self.code, {})
        self.codes = tuple(settings.get("pair", ("97140", "97530")))
        self.cmt, self.manual = cmt_settings(packs)

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        return all(claim.may_bill(c) for c in self.codes)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        first, second = self.codes
        action = context.setting(self.code, "action", "fix")
        placement = context.setting(self.code, "modifier_on", "column2")
        for day, lines in lines_by_date(claim).items():
            pairs = [p for p in self.packs.pairs_for(first, second, day) if p.modifier_indicator == 1]
            if not pairs:
                continue
            pair = pairs[0]
            target_code = pair.column2 if placement == "column2" else pair.column1
            other_code = pair.column1 if target_code == pair.column2 else pair.column2
            others = [line for line in lines if line.procedure == other_code]
            for target in (line for line in lines if line.procedure == target_code):
                wanted = wanted_modifier(context, self.code)
                source = pair.citation
                if not any(same_performer(claim, o, target) for o in others):
                    if any(same_performer(claim, o, target) is None for o in others):
                        yield Finding(self.code, claim.claim_id, (target.number,), target.procedure,
                                      f"{target_code} billed with {other_code} on {day}, but a performer (a 2420A "
                                      "without an NPI) cannot be identified, so whether NCCI pairs them cannot be "
                                      "shown; check who performed them", Severity.WARNING, None, source)
                        continue
                    finding = self._partner_removed(claim, target, other_code, day, lines, pair)
                    if finding is not None:
                        yield finding
                    continue
                bypassed = other_pairs_bypassed(self.packs, claim, target, lines, day, frozenset((other_code,)))
                if bypassed and not satisfied(target, wanted, context.profile):
                    yield Finding(self.code, claim.claim_id, (target.number,), target.procedure,
                                  f"{target_code} billed with {other_code} on {day}: a {wanted} on {target_code} "
                                  f"would also bypass NCCI {', '.join(bypassed)}, which nothing on the claim shows "
                                  "distinct; not modified, decide by hand", Severity.WARNING, None, source)
                    continue
                message = (f"{target_code} billed with {other_code} on {day} (NCCI {pair.label} indicator 1, "
                           f"modifier on {'column 2' if target_code == pair.column2 else 'column 1 by pack setting'})"
                           "; valid only if the two were done in separate time blocks, which the practice's "
                           "documentation must show")
                finding = modifier_finding(self.code, claim, target, wanted, context.profile, message, source,
                                           Applicability.REVIEW, approved=action == "fix")
                if finding is not None:
                    yield finding

    def _partner_removed(self, claim: Claim, target: ServiceLine, other_code: str, day: date | None,
                         lines: list[ServiceLine], pair: NcciPair) -> Finding | None:
        """A review item when the target keeps a 59/X modifier whose pair partner an earlier rule of this run
        removed (a 97140 under 8 minutes), and no other NCCI pair that day still explains it."""
        claimed = [m for m in target.modifiers if m in DISTINCT_MODIFIERS]
        gone = [r for r in claim.removed_lines
                if r.procedure == other_code and r.service_date == day and same_performer(claim, r, target)]
        if not claimed or not gone:
            return None
        explained = any(p.modifier_indicator == 1 for line in lines if line is not target
                        and same_performer(claim, line, target)
                        for p in self.packs.pairs_for(line.procedure, target.procedure, day))
        if explained:
            return None
        return Finding(self.code, claim.claim_id, (target.number,), target.procedure,
                       f"{target.procedure} carries {', '.join(claimed)} for the NCCI {pair.label} pair, but the "
                       f"{other_code} line beside it (line {gone[0].number}) was removed on {day}: with no pair left "
                       "the modifier asserts a distinct service nothing on the claim needs; remove it by hand",
                       Severity.WARNING, None, pair.citation)


class OtherPairs:
    """NC003 ncci-pair: any other NCCI pair of the pack with modifier indicator 1, billed together.

    What it does: when both codes of a pair from rules/ncci.toml (other than the CMT/97140 and
    97140/97530 pairs, which NC001 and NC002 handle) are on the claim on the same date of service for
    the same provider, it reports a review item; the suggested fix (the payer's distinct modifier on
    the column-2 code) is applied only with --apply-review.

    Why: a modifier bypasses an indicator-1 edit only when the documentation supports a distinct
    service, which the 837 does not show; guessing it is the audit risk OIG reports.

    Example: 97012 and 97140 on the same day: review item on 97140 (column 2), no change by default.

    Source: NCCI PTP mechanics (CMS FAQ; MLN1783722 "Proper use of modifiers 59, XE, XP, XS and XU");
    each pair's own source in rules/ncci.toml.
    """

    code = "NC003"
    name = "ncci-pair"
    indicator = 1

    def __init__(self, packs: RulePacks) -> None:
        self.packs = packs
        cmt, manual = cmt_settings(packs)
        handled = {frozenset(packs.rules.get("NC002", {}).get("pair", ("97140", "97530")))}  # NC002's pair
        self.pairs = [
            p for p in packs.pairs
            if p.enabled and p.modifier_indicator == self.indicator
            and (self.indicator == 0 or not ((p.column1 in cmt and p.column2 == manual)
                                             or frozenset((p.column1, p.column2)) in handled))
        ]
        self.codes = frozenset(c for p in self.pairs for c in (p.column1, p.column2))

    def wants(self, claim: Claim, context: ClaimContext) -> bool:
        procedures = claim.procedures
        if len(self.codes.intersection(procedures)) < 2:
            return False
        return any(p.column1 in procedures and p.column2 in procedures for p in self.pairs)

    def check(self, claim: Claim, context: ClaimContext) -> Iterator[Finding]:
        for day, lines in lines_by_date(claim).items():
            codes = {line.procedure for line in lines}
            for pair in self.pairs:
                if pair.column1 not in codes or pair.column2 not in codes or not pair.active_on(day):
                    continue
                for line in lines:
                    if line.procedure != pair.column2:
                        continue
                    partners = [x for x in lines if x.procedure == pair.column1 and same_performer(claim, x, line)]
                    if partners:
                        yield from self._finding(claim, context, line, pair, day)

    def _finding(self, claim: Claim, context: ClaimContext, line: ServiceLine, pair: NcciPair,
                 day: date | None) -> Iterator[Finding]:
        source = pair.citation
        wanted = wanted_modifier(context, self.code)
        message = (f"{pair.column2} billed with {pair.column1} on {day} (NCCI {pair.label} indicator 1): the "
                   f"column-2 code is denied unless documentation supports a distinct service and {wanted} or "
                   "an X modifier says so")
        finding = modifier_finding(self.code, claim, line, wanted, context.profile, message, source,
                                   Applicability.REVIEW, approved=False)
        if finding is not None:
            yield finding


class BlockedPairs(OtherPairs):
    """NC004 ncci-pair-blocked: two codes of an indicator-0 NCCI pair billed together.

    What it does: reports an error-severity finding on the column-2 line; it never adds a modifier.

    Why: with modifier indicator 0 no modifier can bypass the edit: the column-2 code will be denied
    whatever the claim says; a person must remove it or bill it on another claim if it was truly a
    separate encounter.

    Example: a pack pair 97530/97161 with indicator 0 (the 2020-01-01 evaluation edits): both on one
    day -> error on 97161, no change.

    Source: NCCI modifier indicator definitions (medlearn.com; MLN Feb 2024); each pair's own source in
    rules/ncci.toml.
    """

    code = "NC004"
    name = "ncci-pair-blocked"
    indicator = 0

    def _finding(self, claim: Claim, context: ClaimContext, line: ServiceLine, pair: NcciPair,
                 day: date | None) -> Iterator[Finding]:
        source = pair.citation
        yield Finding(self.code, claim.claim_id, (line.number,), line.procedure,
                      f"{pair.column2} billed with {pair.column1} on {day}: NCCI {pair.label} has modifier "
                      "indicator 0, so no modifier can bypass it; the column-2 code will be denied",
                      Severity.ERROR, None, source)


RULES = (CmtManualTherapy, ManualTherapyTherapeuticActivities, OtherPairs, BlockedPairs)
