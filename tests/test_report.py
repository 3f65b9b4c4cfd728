"""The HTML report: items that need a person come first; each change shows the segment before and after."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from lxml import html

from edi837.pipeline import FixOptions, Sinks, fix
from edi837.report.html import render_report
from edi837.testing.generator import ClaimSpec, LineSpec, build_837


def _page(result: object, **names: str) -> html.HtmlElement:
    return html.fromstring(render_report(result, **names))  # type: ignore[arg-type]


def _rows(page: html.HtmlElement) -> list[list[str]]:
    """Each row of "Needs a person": its cells' texts, the commands (kbd) last, one text each."""
    return [[td.text_content() for td in tr.xpath("td")[:3]] + tr.xpath("td[4]/kbd/text()")
            for tr in page.xpath("//table[@class='rows']/tbody/tr")]


def _totals(page: html.HtmlElement) -> dict[str, str]:
    return {tr.xpath("td")[0].text_content(): tr.xpath("td")[1].text_content()
            for tr in page.xpath("//table[contains(@class, 'totals')]//tr")}


# Three claims, no hold policy (M99.01 cervical, M99.03 lumbar, M25.511 shoulder: packs/regions.toml):
# R1: 98940 and 97140 both on the cervical region: NC001 cannot prove a separate region: one review item.
# R<2&: 97140 on the shoulder, 98940 on the lumbar region: NC001 appends 59 (a safe fix), delivered.
# R3: 98940 alone: no finding, unchanged.
_THREE = [
    ClaimSpec("R1", ("M9901",), (LineSpec("98940", "45"), LineSpec("97140", "40")), payer_id="PAYA"),
    ClaimSpec("R<2&", ("M9903", "M25511"), (LineSpec("98940", "45", pointers=(1,)),
                                            LineSpec("97140", "40", pointers=(2,))), rendering_npi="1234567893"),
    ClaimSpec("R3", ("M9901",), (LineSpec("98940", "45"),)),
]


def test_review_items_need_a_person_without_a_hold_and_every_claim_is_listed() -> None:
    """Without --hold the report still opens on the work: a "Needs a person" card for the review item, its
    ack command, and every claim with its status, payer, NPI, diagnoses (regions) and lines before and after."""
    result = fix(build_837(_THREE), FixOptions(validate=False))
    page = _page(result, input_name="/somewhere/in.837", output_name="out.837")
    assert page.findtext(".//title") == "edi837 report: in.837"
    assert [h.text_content() for h in page.iter("h2")] == [
        "Totals", "Needs a person (1 claim, most dollars first)", "Fixed and delivered (1 claim)",
        "Unchanged (1 claim)"]
    assert "every claim was delivered" not in page.text_content()
    assert page.xpath("string(//p[@class='lead'])") == ("3 claims delivered in out.837. 1 claim needs a person "
                                                        "(1 item for review).")
    totals = _totals(page)
    assert {k: totals[k] for k in ("claims in", "claims held", "claims delivered with items for review",
                                   "claims fixed and delivered", "claims unchanged", "items for review",
                                   "safe fixes withheld (their claims are held)", "changes applied",
                                   "dollars at risk: held", "dollars at risk: delivered with items for review",
                                   "dollars at risk: lines that now carry GY")} == {
        "claims in": "3", "claims held": "0", "claims delivered with items for review": "1",
        "claims fixed and delivered": "1", "claims unchanged": "1", "items for review": "1",
        "safe fixes withheld (their claims are held)": "0", "changes applied": "1",
        "dollars at risk: held": "$0.00", "dollars at risk: delivered with items for review": "$85.00",
        "dollars at risk: lines that now carry GY": "$0.00"}
    assert page.xpath("string(//h3)") == "NC001: 1 claim, $85.00 at risk"
    assert [li.xpath("string(b)") for li in page.xpath("//ul[@class='why']/li")] == ["NC001"]
    # claim, status, payer, at risk; the billing provider renders (no NPI said); M99.01 is the cervical region
    # (C); the lines; the ack command (delivered: nothing to release)
    assert _rows(page) == [["R1 review · PAYA · $85.00", "M99.01 C",
                            "1 98940 x1 $45.00; 2 97140 x1 $40.00 (2026-03-02)",
                            'edi-fix ack R1 --rule NC001 --line 2 --note "..."']]
    assert not page.xpath("//table[contains(@class, 'card')]")
    (row,) = page.xpath("//table[@class='delivered']/tbody/tr")
    assert [td.text_content() for td in row.xpath("td")] == [
        "R<2&", "SX123", "1234567893", "M99.03 L, M25.511 UE", "$85.00",
        "1 98940 x1 $45.00; 2 97140 x1 $40.00 → 97140:59 (2026-03-02)", "NC001"]
    (row,) = page.xpath("//table[@class='unchanged']/tbody/tr")
    assert [td.text_content() for td in row.xpath("td")] == ["R3", "SX123", "", "M99.01 C", "98940", "$45.00"]
    raw = render_report(result).decode()
    assert "R&lt;2&amp;" in raw and "R<2&" not in raw
    assert "<script" not in raw and not page.xpath("//@*[starts-with(name(), 'on')]")
    assert not page.xpath("//a")  # no index of links before the content


def test_counts_match_the_work_with_a_hold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With --hold review: held claims are counted once, their withheld safe fixes apart from the review
    items; every number is checked against the change log of the same run; cards carry the release command."""
    from edi837.cli.app import main
    from tests.test_split import mixed_file

    src, out, report = tmp_path / "week.837", tmp_path / "out.837", tmp_path / "week.html"
    src.write_bytes(mixed_file())
    assert main([str(src), str(out), "--hold", "review", "--no-validate", "--report", str(report),
                 "--format", "json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    log = [json.loads(line) for line in Path(f"{out}.changes.jsonl").read_text().splitlines()]
    page = html.fromstring(report.read_bytes())
    review = [r for r in log if not r["applied"] and r["action"] == "review" and r["rule"] != "EDI003"]
    withheld = [r for r in log if not r["applied"] and r["action"] != "review"]
    held = [r["claim_id"] for r in log if r["rule"] == "EDI003"]
    totals = _totals(page)
    # mixed_file: 9 claims, 5 held for NC001 review ($85 each = $425), 1 fixed, 3 unchanged (tests/test_split.py);
    # C1 and C2 are one patient's (S3), each with 98940 that day: CMT is reported once a day (MUE002), so each
    # also has that item: 7 items for review
    assert (len(held), len(review)) == (5, 7)
    assert {k: totals[k] for k in ("claims in", "claims held", "claims fixed and delivered", "claims unchanged",
                                   "items for review", "safe fixes withheld (their claims are held)",
                                   "dollars at risk: held", "dollars billed before")} == {
        "claims in": "9", "claims held": "5", "claims fixed and delivered": "1", "claims unchanged": "3",
        "items for review": "7", "safe fixes withheld (their claims are held)": str(len(withheld)),
        "dollars at risk: held": "$425.00", "dollars billed before": "$795.00"}
    assert summary["held"]["amount"] == "425"
    rows = _rows(page)
    assert sorted(r[0].split()[0] for r in rows) == sorted(held)  # each held claim once
    for r in rows:
        claim = r[0].split()[0]
        assert r[0].split()[1] == "held"
        assert r[-1] == f"edi-fix release {out}.held.837 --claim {claim} --to OUT"
        assert f'edi-fix ack {claim} --rule NC001 --line 2 --note "..."' in r[3:]
    style = page.findtext(".//style")
    assert "@media print" in style and "break-inside: avoid" in style and "table-header-group" in style


def test_a_held_card_separates_withheld_safe_fixes_from_its_review_item() -> None:
    """H1: 98940 on the lumbar region (M99.03), 97140 on the shoulder (M25.511: NC001 appends 59, safe),
    97530 with 97140 (NC002: review, separate time blocks are not on the claim), 97116 with 97530 (NC003:
    review). Held for review: two items for review, one safe fix withheld, and the card shows the lines as the
    release would deliver them."""
    lines = (LineSpec("98940", "45", pointers=(1,)), LineSpec("97140", "40", pointers=(2,)),
             LineSpec("97530", "90", pointers=(2,)), LineSpec("97116", "72", pointers=(2,)))
    result = fix(build_837([ClaimSpec("H1", ("M9903", "M25511"), lines)]),
                 FixOptions(validate=False, hold=frozenset({"review"})))
    page = _page(result, held_name="in.held.837")
    totals = _totals(page)
    assert (totals["items for review"], totals["safe fixes withheld (their claims are held)"],
            totals["claims held"], totals["dollars at risk: held"]) == ("2", "1", "1", "$247.00")
    # the withheld safe fix shows on its line (→ what the release applies), the two items in the block
    assert _rows(page) == [[
        "H1 held · SX123 · $247.00", "M99.03 L, M25.511 UE",
        "1 98940 x1 $45.00; 2 97140 x1 $40.00 → 97140:59; 3 97530 x1 $90.00; 4 97116 x1 $72.00 (2026-03-02)",
        'edi-fix ack H1 --rule NC002 --line 3 --note "..."', 'edi-fix ack H1 --rule NC003 --line 4 --note "..."',
        "edi-fix release in.held.837 --claim H1 --to OUT"]]
    assert [li.xpath("string(b)") for li in page.xpath("//ul[@class='why']/li")] == ["NC002", "NC003"]
    assert page.xpath("string(//table[contains(@class, 'by-rule')]//tr[td[1]='NC001']/td[3])") == "1"


def test_one_finding_that_appends_gy_and_gp_is_shown_once_and_its_dollars_are_at_risk() -> None:
    """A Medicare claim from a chiropractor (taxonomy 111N00000X): 98940 without AT (MC001, review) and 97140
    ($40, not covered from a chiropractor: MC002 appends GY and GP, two change-log records with one message).
    The report shows MC002 once, the line as 97140:GP:GY, and $40.00 at risk on lines that now carry GY."""
    from edi837.testing.specs import ProviderSpec

    spec = ClaimSpec("MB1", ("M9903", "M25511"), (LineSpec("98940", "45", pointers=(1,)),
                                                  LineSpec("97140", "40", pointers=(2,))),
                     payer_id="MCR01", claim_filing="MB", initial_treatment=date(2026, 2, 2),  # MC006 satisfied
                     providers=(ProviderSpec("rendering", "1234567893", "111N00000X"),))
    delivered = fix(build_837([spec]), FixOptions(validate=False))
    assert [r.rule for r in delivered.records].count("MC002") == 2
    page = _page(delivered)
    totals = _totals(page)
    assert (totals["dollars at risk: lines that now carry GY"], totals["items for review"],
            totals["dollars at risk: delivered with items for review"]) == ("$40.00", "1", "$85.00")
    assert page.xpath("string(//table[contains(@class, 'by-rule')]//tr[td[1]='MC002']/td[2])") == "1"
    assert "2 97140 x1 $40.00 → 97140:GP:GY (2026-" in _rows(page)[0][2]
    held = _page(fix(build_837([spec]), FixOptions(validate=False, hold=frozenset({"review"}))))
    assert _totals(held)["safe fixes withheld (their claims are held)"] == "1"
    assert held.xpath("string(//table[contains(@class, 'by-rule')]//tr[td[1]='MC002']/td[3])") == "1"


def test_cards_are_sorted_by_dollars_at_risk_then_payer() -> None:
    """Three review claims: $285 (payer ZZ), $85 (payer BB), $85 (payer AA): the $285 one first, then the two
    $85 ones by payer id."""
    def review_claim(claim_id: str, payer: str, charge: str) -> ClaimSpec:
        return ClaimSpec(claim_id, ("M9901",), (LineSpec("98940", "45"), LineSpec("97140", charge)), payer_id=payer)

    claims = [review_claim("C1", "BB", "40"), review_claim("C2", "ZZ", "240"), review_claim("C3", "AA", "40")]
    page = _page(fix(build_837(claims), FixOptions(validate=False)))
    assert [r[0] for r in _rows(page)] == ["C2 review · ZZ · $285.00", "C3 review · AA · $85.00",
                                           "C1 review · BB · $85.00"]


def test_an_acknowledged_item_is_shown_and_not_counted_as_work() -> None:
    """A record a person acknowledged shows "acknowledged by NAME on DATE: NOTE", has no ack command and is
    not an item for review; a record repeated by a rule is shown once."""
    from dataclasses import replace

    result = fix(build_837(_THREE[:1]), FixOptions(validate=False))
    (item,) = [r for r in result.records if not r.applied]
    result.records[result.records.index(item)] = replace(item, acknowledged="Pat on 2026-03-05: separate region")
    page = _page(result)
    assert _totals(page)["items for review"] == "0"
    assert _totals(page)["items acknowledged as right as billed"] == "1"
    assert "acknowledged by Pat on 2026-03-05: separate region" in page.text_content()
    assert not page.xpath("//kbd") and not _rows(page)
    # a large run lists the fixed claims' ids: the acknowledged item keeps its words, with its claim
    listed = _page(result, detail_rows=0)
    assert listed.xpath("//h2[starts-with(., 'Fixed')]/following-sibling::ul[1]/li/text()") == [
        "R1 NC001 line 2 acknowledged by Pat on 2026-03-05: separate region"]
    # a held claim with one item acknowledged and one not: its row says the first's words, the other's command
    lines = (LineSpec("98940", "45"), LineSpec("97140", "40"), LineSpec("97530", "90"))
    held = fix(build_837([ClaimSpec("H2", ("M9901",), lines)]), FixOptions(validate=False, hold=frozenset({"review"})))
    (first,) = [r for r in held.records if r.rule == "NC001"]
    held.records[held.records.index(first)] = replace(first, acknowledged="Pat on 2026-03-05: ok")
    page = _page(held, held_name="h.837")
    (row,) = page.xpath("//table[@class='rows']/tbody/tr")
    assert row.xpath("td[4]/div[@class='ack']/text()") == ["NC001 line 2 acknowledged by Pat on 2026-03-05: ok"]
    assert row.xpath("td[4]/kbd/text()") == ['edi-fix ack H2 --rule NC002 --line 3 --note "..."',
                                             "edi-fix release h.837 --claim H2 --to OUT"]
    # the same record twice in a claim's range: one item
    again = fix(build_837(_THREE[:1]), FixOptions(validate=False))
    summary = again.claim_summaries[0]
    again.records.insert(summary.end_record, again.records[summary.end_record - 1])
    summary.end_record += 1
    page = _page(again)
    assert _totals(page)["items for review"] == "1"
    assert len(_rows(page)) == 1 and len(_rows(page)[0]) == 4  # one ack command


def test_acknowledged_goes_to_the_change_log_only_when_set() -> None:
    """The change-log line of a record without an acknowledgement is what it always was (json.dumps of the
    fixed fields); with one, the key follows last."""
    from dataclasses import asdict, replace

    record = fix(build_837(_THREE[:1]), FixOptions(validate=False)).records[0]
    fixed = {k: v for k, v in asdict(record).items() if k != "acknowledged"}
    assert record.to_json() == json.dumps(fixed, ensure_ascii=False)
    acked = replace(record, acknowledged="Pat on 2026-03-05: ok")
    assert acked.to_json() == json.dumps({**fixed, "acknowledged": "Pat on 2026-03-05: ok"}, ensure_ascii=False)
    import pickle

    assert pickle.loads(pickle.dumps(acked)) == acked


def test_the_report_carries_no_patient_data() -> None:
    """A claim whose subscriber has a recognisable made-up name and member id: neither is in the report."""
    import re

    data = build_837(_THREE)
    data, n = re.subn(rb"NM1\*IL\*1\*[^*~]*\*[^*~]*\*([^~]*)\*MI\*[^*~]*",
                      rb"NM1*IL*1*ZZTOPLASTNAME*QQFIRSTNAME*\1*MI*MEMBER7788", data)
    assert n >= 1
    raw = render_report(fix(data, FixOptions(validate=False))).decode()
    for secret in ("ZZTOPLASTNAME", "QQFIRSTNAME", "MEMBER7788"):
        assert secret not in raw


def test_the_engine_records_are_documented_like_any_rule(tmp_path: Path) -> None:
    """EDI001-EDI003 are declared like rules (engine/engine_rules.py): `edi-fix rule EDI003` documents them,
    `edi-fix rules` lists them, and each record the run writes cites the source its documentation names."""
    from edi837.cli.rule_docs import listing, rule_page
    from edi837.engine.engine_rules import ENGINE_RULES

    listed = listing()
    for rule in ENGINE_RULES:
        page = rule_page(rule.code.lower())
        assert page is not None and page.startswith(f"{rule.code} {rule.name}\n"), rule.code
        assert f"\n{rule.code}  {rule.name} " in f"\n{listed}", rule.code
    # a claim of 116 whose 97140 line (7 minutes, per-code payer) goes, and a claim held for review: the
    # EDI001 and EDI003 records cite their rules' Source sections word for word
    claims = [ClaimSpec("TOT-1", ("M6281",), (LineSpec("97110", "76", units="33", basis="MJ"),
                                               LineSpec("97140", "40", units="7", basis="MJ"))),
              ClaimSpec("HELD-1", ("M9901",), (LineSpec("98940", "45"), LineSpec("97140", "40")))]
    result = fix(build_837(claims), FixOptions(validate=False, hold=frozenset({"review"})))
    cited = {r.rule: r.source for r in result.records if r.rule.startswith("EDI")}
    assert set(cited) == {"EDI001", "EDI003"}
    for rule in ENGINE_RULES:
        if rule.code in cited:
            assert cited[rule.code] == rule.doc().sections["Source"].rstrip("."), rule.code


def test_streamed_records_are_not_kept_and_the_summary_still_counts_them() -> None:
    """With a record sink (the CLI, hook and watcher), memory holds counts and a bounded review sample,
    not every record; the summary's numbers come from the counts."""
    from edi837.pipeline.result import REVIEW_SAMPLE
    from edi837.report.summary import summary_dict

    claims = [ClaimSpec(f"S{i}", ("M9901",), (LineSpec("98940", "45"), LineSpec("97140", "40")))
              for i in range(REVIEW_SAMPLE + 30)]  # same region every time: one review item each
    streamed: list[object] = []
    result = fix(build_837(claims), FixOptions(validate=False), Sinks(record_sink=streamed.append, keep_records=False))
    assert result.records == []
    assert len(streamed) == result.review_count == REVIEW_SAMPLE + 30
    assert len(result.review_sample) == REVIEW_SAMPLE
    summary = summary_dict(result, output=None, changelog=None)
    assert (summary["review_items"], summary["review_listed"]) == (REVIEW_SAMPLE + 30, REVIEW_SAMPLE)
    assert result.exit_code == 1


def test_rules_and_rule_commands_document_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    """`edi-fix rules` lists every rule; `edi-fix rule CODE` prints its sections and settings (like ruff)."""
    from edi837.cli.app import main
    from edi837.engine.rule import SECTIONS
    from edi837.rules import BUILTIN

    assert main(["rules"]) == 0
    listed = capsys.readouterr().out
    for rule in BUILTIN:
        assert f"{rule.code}  {rule.name}" in listed
    assert main(["rule", "nc002"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("NC002 therapy-time-blocks")
    assert all(f"## {section}" in page for section in SECTIONS)
    assert "action (one of fix, review; default fix)" in page and "ncci (packs/ncci.toml)" in page
    assert main(["rule", "NC0O1"]) == 2
    assert "no rule has the code 'NC0O1'" in capsys.readouterr().err


def test_a_line_after_its_fix_says_only_what_changed() -> None:
    """97110 for 38 minutes and 97035 for 6, one day: CMS's 8-minute rule (Pub. 100-04 ch. 5 §20.2) counts the
    day's 44 timed minutes as 3 units: two whole 15-minute units of 97110, and the third to the code with the
    larger remainder (97110: 8 minutes, 97035: 6). TU001 converts them (safe): 97110 becomes x3, 97035 goes
    and CLM02 drops by its $18.25. The row says after → only what changed: `x3`, `removed`."""
    lines = (LineSpec("97110", "77", units="38", basis="MJ"), LineSpec("97035", "18.25", units="6", basis="MJ"))
    page = _page(fix(build_837([ClaimSpec("M1", ("M5450",), lines)]), FixOptions(validate=False)))
    (row,) = page.xpath("//table[@class='delivered']/tbody/tr")
    assert [td.text_content() for td in row.xpath("td")][4:6] == [
        "$95.25 → $77.00", "1 97110 x38 min $77.00 → x3; 2 97035 x6 min $18.25 → removed (2026-03-02)"]


def test_grouping_drops_no_claim_and_each_row_carries_its_commands() -> None:
    """200 generated claims (seed 11, a third of the timed lines in minutes) held for review, rendered with
    the large-run lists (detail_rows=0): from the run's records alone, each held claim is in exactly one row,
    with an ack command for each of its review items and its release command last; a block's rows all carry
    the rules its findings name; blocks come by their dollars; every fixed or unchanged claim id is listed
    under its part. No claim is lost and none is listed twice."""
    from decimal import Decimal

    from edi837.testing.random_claims import random_claims

    specs = list(random_claims(200, seed=11, minutes_share=0.3))
    result = fix(build_837(specs), FixOptions(validate=False, hold=frozenset({"review"})))
    held = {r.claim_id for r in result.records if r.rule == "EDI003"}
    expected: dict[str, set[str]] = {claim: set() for claim in held}
    for r in result.records:
        if r.action == "review" and not r.applied and r.rule != "EDI003":
            line = f" --line {r.line_number}" if r.line_number is not None else ""
            expected[r.claim_id].add(f'edi-fix ack {r.claim_id} --rule {r.rule}{line} --note "..."')
    changed = {r.claim_id for r in result.records if r.applied} - held
    assert len(held) > 20 and len(changed) > 20  # the file has plenty of each
    page = _page(result, held_name="week.held.837", detail_rows=0)
    assert not page.xpath("//table[contains(@class, 'card')]")  # no claim here has more than 8 items
    rows = _rows(page)
    assert sorted(r[0].split()[0] for r in rows) == sorted(held)
    for r in rows:
        claim = r[0].split()[0]
        assert r[-1] == f"edi-fix release week.held.837 --claim {claim} --to OUT"
        assert sorted(r[3:-1]) == sorted(expected[claim]), claim
    at_risk = [Decimal(h.text_content().rsplit("$", 1)[1].split()[0].replace(",", "")) for h in page.xpath("//h3")]
    assert len(at_risk) > 3 and at_risk == sorted(at_risk, reverse=True)
    # each block's rows carry the rules its findings name (read from the page in document order)
    block_rules: set[str] = set()
    for element in page.xpath("//h3 | //ul[@class='why']/li/b | //table[@class='rows']/tbody/tr"):
        if element.tag == "h3":
            block_rules = set()
        elif element.tag == "b":
            block_rules.add(element.text_content())
        else:
            commands = element.xpath("td[4]/kbd/text()")[:-1]
            assert {c.split(" --rule ")[1].split()[0] for c in commands} == block_rules, commands
    # every other claim once, under its part (the ids follow each group's words)
    listed: dict[str, list[str]] = {}
    part = ""
    for element in page.xpath("//h2 | //p[contains(@class, 'ids')]"):
        if element.tag == "h2":
            part = element.text_content().split(" (")[0]
        else:
            listed.setdefault(part, []).extend(element.xpath("string(text()[last()])").split())
    unchanged = {spec.claim_id for spec in specs} - held - changed
    assert sorted(listed["Fixed and delivered"]) == sorted(changed)
    assert sorted(listed["Unchanged"]) == sorted(unchanged)


def test_a_claim_with_many_items_keeps_a_card_in_its_block() -> None:
    """98940 with ten 97140 lines, all on the cervical region: ten NC001 items (more than a row holds on a
    printed page: CARD_ITEMS is 8), so the claim keeps a card whose head names it (repeated on each printed
    page), with each item's finding and command, under its block's title; it has no row."""
    lines = (LineSpec("98940", "45"), *[LineSpec("97140", "40") for _ in range(10)])
    result = fix(build_837([ClaimSpec("LONG-1", ("M9901",), lines)]),
                 FixOptions(validate=False, hold=frozenset({"review"})))
    page = _page(result, held_name="long.held.837")
    assert not _rows(page)
    (card,) = page.xpath("//table[contains(@class, 'card')]")
    assert card.xpath("string(thead)") == "Claim LONG-1 held · SX123 · $445.00"
    commands = card.xpath(".//kbd/text()")
    assert commands[-1] == "edi-fix release long.held.837 --claim LONG-1 --to OUT"
    acks = [c for c in commands if " --rule NC001 " in c]
    assert acks == [f'edi-fix ack LONG-1 --rule NC001 --line {n} --note "..."' for n in range(2, 12)]
    assert page.xpath("string(//h3)").startswith("NC001")
