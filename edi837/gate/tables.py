"""pyx12's maps compiled into plain tables: the loop/segment tree and every element's rules.

Why compile pyx12's own XML instead of writing 837P rules by hand: the fast validator must never accept
what pyx12 rejects, so it has to know exactly what pyx12 knows: the same loops in the same order, the same
usage and repeat counts, the same code lists (including pyx12's errata), the same data element lengths.
Reading the files pyx12 reads, with the same defaults pyx12's map classes apply (`pyx12/map_if/*.py`),
gives that for free and follows a pyx12 upgrade (see `maps.py` for how an upgrade is noticed).

The tables are plain tuples, strings, bytes and frozensets, so they can be stored with `marshal` and
loaded in a few milliseconds; `cache.py` stores them keyed by the maps' checksum.

Node ids index `Tables.nodes`. Children are kept in the order pyx12's walker scans them: by position,
and at one position loops (in file order) before segments (in file order), as `loop_if.__init__` fills
its `pos_map`. Counters in pyx12 are keyed by path strings, so two nodes with the same path share a
count; paths are therefore numbered (`Node.path`) and the walker counts by path number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from lxml import etree

from edi837.gate.maps import CODES, DATA_ELEMENTS, MAP_837, MAP_CONTROL, map_bytes, maps_sha256

FORMAT = 3  # bump when the layout or the compiler's semantics change: old caches are then ignored
MAXINT = 2147483647  # pyx12's "no limit" (map_if/_base.py)
ROOT, LOOP, SEGMENT = 0, 1, 2

# Element rule: ("E", seq, usage, dtype, min_len, max_len, codes or None, regex or None, data_ele, listed).
# `codes` is the union of the map's code list and the external code set the element names; None when
# neither exists. `listed` is the map's own list in file order (what pyx12 matches qualifiers against).
# `dtype` is None when dataele.xml does not define the element (pyx12 then crashes on a value), and "?"
# for an external code set codes.xml lacks (pyx12 crashes there too).
# Composite rule: ("C", seq, usage, (element rules in file order)).
ElementRule = tuple[Any, ...]


class Node(NamedTuple):
    kind: int
    xid: str
    parent: int  # -1 for a map root
    pos: int
    usage: str
    max_repeat: int
    path: int  # number of the pyx12 path string (counter key)
    eqkey: int  # number of (xid, parent xid): pyx12's x12_node equality
    children: tuple[int, ...]  # scan order (roots and loops)
    match: tuple[int, int, frozenset[bytes | None]] | None  # (element, component or 0, codes) a segment is told by
    elements: tuple[ElementRule, ...]  # segments: one rule per element position, in order
    syntax: tuple[tuple[str, tuple[int, ...]], ...]  # segments: (P|R|C|L|E, element numbers)


@dataclass(frozen=True)
class Tables:
    checksum: str
    nodes: tuple[Node, ...]
    paths: tuple[str, ...]
    below: dict[int, frozenset[int]]  # loop path number -> numbers of the paths under it (NodeCounter reset)
    root_837: int
    root_control: int

    def to_plain(self) -> tuple[Any, ...]:
        return (FORMAT, self.checksum, [tuple(n) for n in self.nodes], list(self.paths),
                {k: v for k, v in self.below.items()}, self.root_837, self.root_control)

    @classmethod
    def from_plain(cls, plain: Any) -> Tables:
        fmt, checksum, nodes, paths, below, root_837, root_control = plain
        if fmt != FORMAT:
            raise ValueError("stale table format")
        return cls(checksum, tuple(Node(*n) for n in nodes), tuple(paths), dict(below), root_837, root_control)


def _text(elem: Any, name: str) -> str | None:
    """pyx12's lookup: the attribute if set and non-empty, else the child element's text."""
    value = elem.get(name)
    if value:
        return str(value)
    found = elem.findtext(name)
    return None if found is None else str(found)


def _parse(name: str) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    return etree.fromstring(map_bytes(name), parser)


class _Compiler:
    def __init__(self) -> None:
        self.nodes: list[list[Any]] = []
        self.paths: dict[str, int] = {}
        self.eqkeys: dict[tuple[str, str], int] = {}
        dataele = _parse(DATA_ELEMENTS)
        self.dataele = {e.get("ele_num"): (e.get("data_type"), int(e.get("min_len")), int(e.get("max_len")))
                        for e in dataele.iter("data_ele")}
        codes = _parse(CODES)
        self.external: dict[str | None, frozenset[str | None]] = {
            c.findtext("id"): frozenset(x.text for x in c.iterfind("version/code")) for c in codes.iter("codeset")}

    def path(self, text: str) -> int:
        return self.paths.setdefault(text, len(self.paths))

    def compile_root(self, name: str) -> int:
        xml = _parse(name)
        index = len(self.nodes)
        self.nodes.append([ROOT, xml.get("xid") or "", -1, 0, "R", MAXINT, self.path("/"), -1, (), None, (), ()])
        self.nodes[index][8] = self._children(xml, index, "/")
        return index

    def _children(self, xml: Any, parent: int, parent_path: str) -> tuple[int, ...]:
        """Children in pyx12's scan order, with segment paths qualified where several nodes share a position."""
        loops = [(int(_text(e, "pos") or 0), e) for e in xml.findall("loop")]
        segments = [(int(_text(e, "pos") or 0), e) for e in xml.findall("segment")]
        by_pos: dict[int, list[tuple[str, Any]]] = {}
        for pos, e in loops:
            by_pos.setdefault(pos, []).append(("loop", e))
        for pos, e in segments:
            by_pos.setdefault(pos, []).append(("segment", e))
        prefix = "" if parent_path == "/" else parent_path
        parent_xid = str(self.nodes[parent][1])
        order: list[int] = []
        for pos in sorted(by_pos):
            shared = len(by_pos[pos]) > 1
            for kind, e in by_pos[pos]:
                index = len(self.nodes)
                xid = e.get("xid") or ""
                usage = _text(e, "usage") or ""
                eqkey = self.eqkeys.setdefault((xid, parent_xid), len(self.eqkeys))
                if kind == "loop":
                    path = f"{prefix}/{xid}"
                    repeat = _text(e, "repeat")
                    max_repeat = MAXINT if repeat in (None, ">1", "&gt;1") else int(repeat)
                    self.nodes.append([LOOP, xid, parent, pos, usage, max_repeat, self.path(path), eqkey, (), None,
                                       (), ()])
                    self.nodes[index][8] = self._children(e, index, path)
                else:
                    rules = self._elements(e)
                    label = xid
                    if shared:
                        qualifier = _guess_key(xid, rules)
                        if qualifier is not None:
                            label = f"{xid}[{qualifier}]"
                    max_use = _text(e, "max_use")
                    max_repeat = MAXINT if max_use in (None, ">1") else int(max_use)
                    syntax = tuple(s for s in (_syntax(x.text) for x in e.findall("syntax")) if s is not None)
                    self.nodes.append([SEGMENT, xid, parent, pos, usage, max_repeat, self.path(f"{prefix}/{label}"),
                                       eqkey, (), _match_key(xid, rules), tuple(rules), syntax])
                order.append(index)
        return tuple(order)

    def _elements(self, seg: Any) -> list[ElementRule]:
        by_seq: dict[int, Any] = {}
        for e in seg.findall("element"):
            by_seq[int(_text(e, "seq") or 0)] = e
        for e in seg.findall("composite"):
            by_seq[int(_text(e, "seq") or 0)] = e
        rules: list[ElementRule] = []
        for position, seq in enumerate(sorted(by_seq), start=1):
            e = by_seq[seq]
            if seq != position:  # pyx12's get_child_node_by_idx raises EngineError: never valid
                rules.append(("E", seq, "R", None, 1, 0, None, None, None, ()))
            elif e.tag == "composite":
                rules.append(("C", seq, _text(e, "usage") or "", tuple(self._element(x) for x in e.findall("element"))))
            else:
                rules.append(self._element(e))
        return rules

    def _element(self, e: Any) -> ElementRule:
        data_ele = _text(e, "data_ele")
        dtype, min_len, max_len = self.dataele.get(data_ele, (None, 0, 0))
        codes: set[str | None] | None = None
        listed: list[str | None] = []
        valid = e.find("valid_codes")
        if valid is not None:
            listed = [c.text for c in valid.findall("code")]
            external = valid.get("external")
            if listed or external is not None:
                codes = set(listed)
                if external is not None:
                    if external in self.external:
                        codes |= self.external[external]
                    else:
                        dtype = "?"  # pyx12 raises EngineError for an unknown external code set
        regex = e.findtext("regex")
        return ("E", int(_text(e, "seq") or 0), _text(e, "usage") or "", dtype, min_len, max_len,
                None if codes is None else tuple(sorted((c for c in codes if c is not None), key=str))
                + ((None,) if None in codes else ()), regex or None, data_ele, tuple(listed))


def _first_is_id_with_codes(rule: ElementRule | None) -> bool:
    return rule is not None and rule[0] == "E" and rule[3] == "ID" and bool(rule[9])


def _match_key(xid: str, rules: list[ElementRule]) -> tuple[int, int, frozenset[bytes | None]] | None:
    """Where a data segment's qualifier is read to tell this node from its namesakes (pyx12's
    segment_if._resolve_unique_key_field with with_qual=False), and the codes that match."""
    c0, c1, c2 = [*rules, None, None, None][:3]
    found: tuple[int, int, ElementRule] | None = None
    if _first_is_id_with_codes(c0) and c0 is not None and c0[2] == "R":
        found = (1, 0, c0)
    elif xid == "ENT" and _first_is_id_with_codes(c1) and c1 is not None:
        found = (2, 0, c1)
    elif (xid == "CTX" and c0 is not None  # noqa: SIM114 - pyx12's branches, kept one for one and c0[0] == "C" and c0[3] and c0[3][0][3] == "AN"
          and c0[3][0][9]):
        found = (1, 1, c0[3][0])
    elif c0 is not None and c0[0] == "C" and c0[3] and _first_is_id_with_codes(c0[3][0]):
        found = (1, 1, c0[3][0])
    elif xid == "HL" and c2 is not None and c2[0] == "E" and c2[9]:
        found = (3, 0, c2)
    if found is None:
        return None
    element, component, rule = found
    codes = frozenset(None if c is None else c.encode("latin-1") for c in rule[9])
    return element, component, codes


def _guess_key(xid: str, rules: list[ElementRule]) -> str | None:
    """The first code of the element pyx12 qualifies a shared position's path with
    (segment_if.guess_unique_key_id_element)."""
    c0, c1, c2 = [*rules, None, None, None][:3]
    rule: ElementRule | None = None
    if _first_is_id_with_codes(c0):
        rule = c0
    elif xid == "ENT" and _first_is_id_with_codes(c1):
        rule = c1
    elif c0 is not None and c0[0] == "C" and c0[3] and _first_is_id_with_codes(c0[3][0]):
        rule = c0[3][0]
    elif xid == "HL" and c2 is not None and c2[0] == "E" and c2[9]:
        rule = c2
    if rule is None:
        return None
    return str(rule[9][0] or "")


def _syntax(text: str | None) -> tuple[str, tuple[int, ...]] | None:
    """pyx12's segment_if._split_syntax: a letter, then element numbers two digits each."""
    if text is None or not text or text[0] not in "PRCLE":
        return None
    body = text[1:]
    return text[0], tuple(int(body[i * 2 : i * 2 + 2]) for i in range(len(body) // 2))


def _below(paths: dict[str, int]) -> dict[int, frozenset[int]]:
    """For every path, the paths strictly under it (pyx12's X12Path.is_child_path, component by component)."""
    found: dict[str, set[int]] = {text: set() for text in paths}
    for text, number in paths.items():
        parts = text.split("/")
        for cut in range(1, len(parts)):
            prefix = "/".join(parts[:cut])
            if prefix in found:
                found[prefix].add(number)
    return {paths[text]: frozenset(numbers) for text, numbers in found.items()}


def compile_tables() -> Tables:
    """Read pyx12's installed map files (lxml) and build the tables."""
    compiler = _Compiler()
    root_control = compiler.compile_root(MAP_CONTROL)
    root_837 = compiler.compile_root(MAP_837)
    nodes = tuple(Node(*n) for n in compiler.nodes)
    paths = tuple(sorted(compiler.paths, key=compiler.paths.__getitem__))
    return Tables(maps_sha256(), nodes, paths, _below(compiler.paths), root_837, root_control)
