"""The documentation holds together: every relative link and anchor in README.md and docs/*.md resolves, and
the README keeps what a newcomer needs in its first minute.

Anchors are computed as GitHub computes them for a heading (lowercased, punctuation other than `-` and `_`
dropped, each space a hyphen, a repeated heading numbered -1, -2, ...), so a link that works here works on
the rendered page. Links inside code blocks and code spans are text, not links.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _blocks(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each paragraph outside fenced code blocks."""
    block: list[str] = []
    start, fenced = 0, False
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            line = ""
        if fenced or not line.strip():
            if block:
                yield start, "\n".join(block)
            block = []
            continue
        if not block:
            start = number
        block.append(line)
    if block:
        yield start, "\n".join(block)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text (before numbering repeats)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text stays, its target goes
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor a link may name in `page`: its headings' slugs and explicit `<a id=...>`."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, block in _blocks(page.read_text(encoding="utf-8")):
        for line in block.splitlines():
            found.update(_HTML_ANCHOR.findall(line))
            heading = _HEADING.match(line)
            if heading:
                base = slug(heading.group(2))
                count = seen.get(base, 0)
                seen[base] = count + 1
                found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> Iterator[tuple[int, str]]:
    """(line number, target) of every link and image in `page`, code excluded."""
    for start, block in _blocks(page.read_text(encoding="utf-8")):
        prose = _CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), block)
        for match in _LINK.finditer(prose):
            yield start + prose.count("\n", 0, match.start()), match.group(1)


def broken_links(pages: Sequence[Path], root: Path = REPO) -> list[str]:
    """Each relative link whose file is missing or outside `root`, or whose anchor its page lacks."""
    problems = []
    for page in pages:
        for line, target in links(page):
            if _SCHEME.match(target):
                continue
            where = f"{page.relative_to(root)}:{line}: {target}"
            path_part, _, fragment = target.partition("#")
            linked = (page.parent / path_part).resolve() if path_part else page
            if not linked.is_relative_to(root.resolve()) or not linked.exists():
                problems.append(f"{where}: no such file in the project")
            elif fragment and (linked.suffix != ".md" or fragment not in anchors(linked)):
                problems.append(f"{where}: no such anchor")
    return problems


def test_every_relative_link_and_anchor_resolves() -> None:
    assert len(PAGES) > 10, PAGES
    assert broken_links(PAGES) == []


def test_the_checker_finds_missing_files_and_anchors(tmp_path: Path) -> None:
    """The check above could fail: a missing page, a missing anchor and a link to outside the project are
    each named; links in code, external links and good anchors are not."""
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "docs" / "a.md").write_text("# Page A\n\n## Folder watcher: `edi-fix watch`\n\n## Notes\n\n## Notes\n")
    (tmp_path / "elsewhere.md").write_text("# Elsewhere\n")  # exists, but outside the project
    page = project / "README.md"
    page.write_text(
        "# Top\n\n"
        "See [a](docs/a.md#folder-watcher-edi-fix-watch), [notes](docs/a.md#notes-1), [top](#top),\n"
        "[web](https://example.org/x#y) and `[code](docs/nowhere.md)`.\n\n"
        "```\n[fenced](docs/nowhere.md)\n```\n\n"
        "Broken: [gone](docs/gone.md), [no anchor](docs/a.md#notes-2),\n"
        "[outside](../elsewhere.md) and ![picture](docs/missing.png).\n")
    assert broken_links([page], root=project) == [
        "README.md:10: docs/gone.md: no such file in the project",
        "README.md:10: docs/a.md#notes-2: no such anchor",
        "README.md:11: ../elsewhere.md: no such file in the project",
        "README.md:11: docs/missing.png: no such file in the project",
    ]


def test_anchors_are_github_slugs() -> None:
    """Expected values worked by hand from GitHub's rule (lowercase; drop what is not a letter, digit, space,
    hyphen or underscore; spaces to hyphens)."""
    assert slug("Folder watcher: `edi-fix watch OUTBOUND --to READY`") == \
        "folder-watcher-edi-fix-watch-outbound---to-ready"
    assert slug("Manipulation: what a line's own pointers prove (NC001, TH001)") == \
        "manipulation-what-a-lines-own-pointers-prove-nc001-th001"
    assert slug("`--jobs N`") == "--jobs-n"
    assert slug("NC002 therapy-time-blocks") == "nc002-therapy-time-blocks"
    assert slug("ICD-10-CM store") == "icd-10-cm-store"


def test_readme_keeps_what_a_newcomer_needs() -> None:
    """The two commands, the everyday command, the exit codes, the demo's picture, and a way into every page."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    assert "edi-fix IN OUT " in readme
    assert "## Exit codes" in readme
    for code in "0123":
        assert f"\n| {code} | " in readme, code
    assert "](docs/report-demo.png)" in readme
    targets = {target.partition("#")[0] for _, target in links(REPO / "README.md")}
    missing = [p.name for p in PAGES[1:] if f"docs/{p.name}" not in targets]
    assert missing == [], f"docs pages the README's table of contents does not link: {missing}"
