"""What a run tells people: the terminal summary (text or JSON) and the segment-level diff.

The CLI, the watcher and the hook print the same summary, so a billing clerk and a script reading
`--format json` see the same counts. Nothing here prints patient data: counts, claim ids, line
numbers, codes, rule codes and validation locations only.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from edi837.engine.engine_rules import HOLD_RULE
from edi837.errors import one_line, printable
from edi837.exits import ExitCode
from edi837.pipeline import FixResult
from edi837.words import dollars, plural
from edi837.writer.diff import SegmentDiff


def summary_dict(result: FixResult, *, output: str | None, changelog: str | None, report: str | None = None,
                 check: bool = False, exit_code: int | None = None, held_path: str | None = None) -> dict[str, Any]:
    """The summary as data. Every text in it is one line (messages pass through `one_line`)."""
    applied = Counter({rule: n for (rule, was_applied), n in result.counts.items() if was_applied})
    # A held claim's EDI003 record is counted as held, not as one more review item.
    review = Counter({rule: n for (rule, was_applied), n in result.counts.items()
                      if not was_applied and rule != HOLD_RULE})
    if exit_code is None:
        exit_code = (ExitCode.NEEDS_PERSON if result.changed else ExitCode.OK) if check else result.exit_code
    return {
        "exit_code": exit_code,
        "changed": result.changed,
        "written": output,
        "changelog": changelog,
        "report": report,
        "claims": result.claims,
        "lines": result.lines,
        "transactions": result.transactions,
        "changed_claims": result.changed_claims,
        "left_alone": {reason: {"claims": result.left_alone_counts[reason], "claim_ids": ids}
                       for reason, ids in sorted(result.left_alone.items())},
        "notes": dict(sorted(result.notes.items())),
        "changes": sum(applied.values()),
        "review_items": sum(review.values()),
        "acknowledged_items": result.acknowledged_count,  # review items a person said are right as billed
        "by_rule": {rule: {"applied": applied.get(rule, 0), "review": review.get(rule, 0)}
                    for rule in sorted(set(applied) | set(review))},
        "review": [
            {"claim_id": r.claim_id, "line_number": r.line_number, "procedure": r.procedure, "rule": r.rule,
             "message": one_line(r.message)}
            for r in result.review_sample if r.rule != HOLD_RULE
        ],
        "review_listed": sum(1 for r in result.review_sample if r.rule != HOLD_RULE),
        "bytes_in": result.bytes_in,
        "bytes_out": result.bytes_out,
        "validated": result.validated,
        "warnings": [one_line(str(w)) for w in result.warnings],
        "seconds": round(result.seconds, 3),
        "amount_in": str(result.amount_in),
        "amount_out": str(result.amount_out),
        "hold": sorted(result.hold),
        "held": {"claims": result.held_claims, "amount": str(result.amount_held), "path": held_path,
                 "claim_ids": [h.claim_id for h in result.held[:REVIEW_LISTED]]},
        "delivered": {"claims": result.delivered_claims, "amount": str(result.amount_delivered)},
    }


REVIEW_LISTED = 200  # held claim ids the JSON summary lists (the change log has every one)


def held_line(result: FixResult, *, held_path: str | None, output: str | None, check: bool = False) -> str:
    """The one line that says how many claims and dollars were held, and where they are."""
    held = f"{plural(result.held_claims, 'claim')} ({dollars(result.amount_held)})"
    if check:
        return f"would hold {held} for a person; would deliver {plural(result.delivered_claims, 'claim')}"
    where = f" in {held_path}" if held_path else ""
    if not result.delivered_claims:
        return f"held all {held} for a person{where}; nothing delivered"
    delivered = f"{plural(result.delivered_claims, 'claim')} ({dollars(result.amount_delivered)})"
    return f"held {held} for a person{where}; delivered {delivered}" + (f" in {output}" if output else "")


def summary_text(result: FixResult, *, output: str | None, changelog: str | None, report: str | None = None,
                 check: bool = False, exit_code: int | None = None, held_path: str | None = None) -> str:
    data = summary_dict(result, output=output, changelog=changelog, report=report, check=check, exit_code=exit_code,
                        held_path=held_path)
    lines = []
    would = "would make " if check else ""
    lines.append(
        f"{plural(data['claims'], 'claim')}, {plural(data['lines'], 'service line')}: "
        f"{would}{plural(data['changes'], 'change')} on {plural(data['changed_claims'], 'claim')}, "
        f"{data['review_items']} for review"
    )
    for reason, entry in data["left_alone"].items():
        n = entry["claims"]
        what = (f"void claim{'s' if n != 1 else ''} (CLM05-3 = 8) left as sent: a void mirrors the claim it cancels"
                if reason == "void" else
                f"claim{'s' if n != 1 else ''} with a frequency code the 837P does not use, left as sent")
        ids = ", ".join(entry["claim_ids"]) + (", ..." if n > len(entry["claim_ids"]) else "")
        lines.append(f"  {n} {what} ({ids})")
    missing = data["notes"].get("medicare-claim-without-taxonomy", 0)
    if missing:
        lines.append(f"  {missing} Medicare claim{'s' if missing != 1 else ''} without a taxonomy (PRV) for the "
                     "performing provider: the specialty rules (MC002, MC003) could not tell who performed them")
    uncovered = data["notes"].get("icd10-date-not-covered", 0)
    if uncovered:
        lines.append(f"  {uncovered} claim{'s' if uncovered != 1 else ''} with dates of service no loaded ICD-10-CM "
                     "release covers (none in force that day; between two loaded releases, only the codes both "
                     "list alike are judged): those diagnoses were not checked (DX001); see `edi-fix icd10 "
                     "status`, load the CMS files with `edi-fix icd10 import`")
    for rule, counts in data["by_rule"].items():
        lines.append(f"  {rule}: {counts['applied']} applied, {counts['review']} for review")
    acknowledged = data["acknowledged_items"]
    if acknowledged:
        where = "`edi-fix ack --list`" if check else "the change log"
        lines.append(f"  {plural(acknowledged, 'review item')} acknowledged as right as billed (see {where})")
    for item in data["review"][:50]:
        where = f"claim {item['claim_id']}" + (f" line {item['line_number']}" if item["line_number"] else "")
        lines.append(f"  review {item['rule']} {where} {item['procedure'] or ''}: {item['message']}".rstrip())
    if data["review_items"] > 50:
        lines.append(f"  ... {plural(data['review_items'] - 50, 'more review item')} in the change log")
    if data["warnings"]:
        lines.append(f"{plural(len(data['warnings']), 'validation error')} already in the input (pyx12, "
                     "005010X222A1):")
        for warning in data["warnings"][:20]:
            lines.append(f"  warning {warning}")
        if len(data["warnings"]) > 20:
            lines.append(f"  ... {len(data['warnings']) - 20} more")
    elif not data["validated"]:
        lines.append("not validated (--no-validate); structural checks passed")
    if result.held:
        lines.append(held_line(result, held_path=held_path, output=output, check=check))
    if output and not check:
        lines.append(f"wrote {output}" + (f", change log {changelog}" if changelog else ""))
    elif result.hold and changelog and not check:
        lines.append(f"change log {changelog}")
    if report:
        lines.append(f"report {report}")
    # Claim ids, procedure codes and paths come from outside: no control character reaches a terminal.
    return "\n".join(printable(line) for line in lines)


def summary_json(result: FixResult, **kwargs: Any) -> str:
    return json.dumps(summary_dict(result, **kwargs), indent=2)


def diff_text(diff: list[SegmentDiff], *, before_name: str, after_name: str) -> str:
    """A unified-style, segment-level diff: one hunk per changed segment position."""
    if not diff:
        return ""
    out = [f"--- {before_name}", f"+++ {after_name}"]
    for entry in diff:
        claim = f", claim {one_line(entry.claim_id)}" if entry.claim_id else ""
        out.append(f"@@ segment {entry.segment}{claim} @@")
        if entry.before is not None:
            out.append(f"-{one_line(entry.before)}")
        if entry.after is not None:
            out.append(f"+{one_line(entry.after)}")
    return "\n".join(out) + "\n"
