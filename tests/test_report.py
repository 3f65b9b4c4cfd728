"""The HTML report: items that need a person come first; each change shows the segment before and after."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import html

from edi837.pipeline import FixOptions, Sinks, fix
from edi837.report.html import render_report
from edi837.testing.generator import ClaimSpec, LineSpec, build_837


def test_report_escapes_values_and_shows_segments_whole() -> None:
    claims = [
        ClaimSpec("R<1&", ("M9903", "M25511"), (LineSpec("98940", "45", pointers=(1,)),
                                                LineSpec("97140", "40", pointers=(2,)))),
        ClaimSpec("R2", ("M9901",), (LineSpec("98940", "45"), LineSpec("97140", "40"))),
    ]
    result = fix(build_837(claims), FixOptions(validate=False))
    page = html.fromstring(render_report(result, input_name="/somewhere/in.837", output_name="out.837"))
    assert page.findtext(".//title") == "edi837 report: in.837"
    assert [h.text_content() for h in page.iter("h2")] == ["Totals", "Held: what to do (0 claims)",
                                                           "Changes by claim (2 claims)"]
    claim_titles = [h.text_content() for h in page.xpath("//div[@class='claim']/h3")]
    assert claim_titles == ["Claim R<1&: $85.00 billed (transaction 0001, segment 21)",
                            "Claim R2: $85.00 billed (transaction 0001, segment 36)"]  # parsed back: escaped
    change = page.xpath("//div[@class='claim'][1]//table[@class='changes']/tbody")[0]
    cells = [td.text_content() for td in change.xpath("tr[1]/td")]
    assert cells[:4] == ["2", "97140", "NC001", "append modifier"]
    assert cells[4].startswith("97140 points to") and "Source: " in cells[4]
    before, after = change.xpath("tr[@class='segments']//code[@class='segment']")
    assert (before.text_content(), after.text_content()) == ("SV1*HC:97140*40*UN*1***2", "SV1*HC:97140:59*40*UN*1***2")
    # whole segments: the only break opportunities are after an element separator
    for code in page.xpath("//code[@class='segment']"):
        assert all((wbr.tail or "").startswith("*") for wbr in code.iter("wbr"))
    lines = [[td.text_content() for td in tr.xpath("td")]
             for tr in page.xpath("//div[@class='claim'][1]//table[@class='lines']//tr[td]")]
    assert lines == [["1", "98940", "", "1", "$45.00", "2026-03-02"], ["2", "97140", "", "1", "$40.00", "2026-03-02"]]
    raw = render_report(result).decode()
    assert "R&lt;1&amp;" in raw and "R<1&" not in raw
    assert "<script" not in raw and " on" not in "".join(page.xpath("//@*[starts-with(name(), 'on')]"))


def test_report_numbers_agree_with_the_change_log_and_the_summary(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The staff worklist: totals, changes by rule and held cards, each number checked against the change log
    and the terminal's JSON summary of the same run; every link lands on a claim."""
    from edi837.cli.app import main
    from tests.test_split import mixed_file

    src, out, report = tmp_path / "week.837", tmp_path / "out.837", tmp_path / "week.html"
    src.write_bytes(mixed_file())
    assert main([str(src), str(out), "--hold", "review", "--no-validate", "--report", str(report),
                 "--format", "json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    log = [json.loads(line) for line in Path(f"{out}.changes.jsonl").read_text().splitlines()]
    page = html.fromstring(report.read_bytes())
    assert page.findtext(".//title") == "edi837 report: week.837"
    totals = {tr.xpath("td")[0].text_content(): tr.xpath("td")[1].text_content()
              for tr in page.xpath("//table[contains(@class, 'totals')]//tr")}
    applied = [r for r in log if r["applied"]]
    review = [r for r in log if not r["applied"] and r["rule"] != "EDI003"]
    held = [r["claim_id"] for r in log if r["rule"] == "EDI003"]
    assert totals == {
        "claims in": "9", "service lines in": "15", "claims delivered": "4", "claims held": str(len(held)),
        "claims changed": "1", "changes applied": str(len(applied)), "items for review": str(len(review)),
        "dollars billed before": "$795.00", "dollars billed after": "$795.00", "dollars delivered": "$370.00",
        "dollars held": "$425.00"}
    assert (summary["claims"], summary["changes"], summary["review_items"], summary["held"]["claims"],
            summary["held"]["amount"]) == (9, len(applied), len(review), len(held), "425")
    by_rule = {tr.xpath("td")[0].text_content(): (int(tr.xpath("td")[1].text_content()),
                                                   int(tr.xpath("td")[2].text_content()))
               for tr in page.xpath("//table[contains(@class, 'by-rule')]//tr[td]")}
    assert by_rule == {rule: (sum(1 for r in applied if r["rule"] == rule), sum(1 for r in review if r["rule"] == rule))
                       for rule in {r["rule"] for r in applied + review}}
    assert by_rule == {k: (v["applied"], v["review"]) for k, v in summary["by_rule"].items()}
    cards = page.xpath("//div[contains(@class, 'card')]")
    assert [c.get("id") for c in cards] and len(cards) == len(held) == 5
    assert [c.xpath("h3")[0].text_content().split(":")[0] for c in cards] == [f"Claim {cid}" for cid in held]
    for card in cards:
        assert "What to do:" in card.text_content() and "Source: " in card.text_content()
        assert "2026-03-02" in card.text_content() and "$40.00" in card.text_content()
    ids = {e.get("id") for e in page.xpath("//*[@id]")}
    links = page.xpath("//nav//a/@href")
    assert len(links) == 6 and all(link[1:] in ids for link in links)
    # held claims first in the page, and the print rules that keep headings with what follows them
    headings = [h.text_content() for h in page.iter("h2")]
    assert headings.index("Held: what to do (5 claims)") < headings.index("Changes by claim (1 claim)")
    style = page.findtext(".//style")
    assert "@media print" in style and "break-after: avoid" in style and "break-inside: avoid" in style


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
