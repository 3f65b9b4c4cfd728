"""The segment definitions as data: the classes and their loader from `segments/*.xml` (lxml).

Kept apart from the value checks (segment_defs) so each stays small: this module knows the XML, that
one knows X12 data types.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

from lxml import etree

USAGES = frozenset({"R", "S", "N"})
# Types edi837 can check. B (binary) is absent on purpose: it cannot be checked as text, and a
# definition using it should fail to load rather than let anything through.
DATA_TYPES = frozenset({"AN", "ID", "R", "DT", "TM", *(f"N{i}" for i in range(10))})
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_DIGITS = re.compile(r"[0-9]+")
_T = TypeVar("_T")


class SegmentDefinitionError(Exception):
    """A file in segments/ is malformed.

    Not an InputRefused: it is a defect of edi837's own data (an internal error), never of the
    user's file, and a definition that loads half-way could wave bad values through.
    """


@dataclass(frozen=True, slots=True)
class ElementDef:
    """One simple element or one component of a composite, as the 837P defines it.

    `seq` is the element's position in the segment; for a component it is the composite's
    position and `component` the position inside the composite. `codes` is the map's code list
    (None where the map has none); `writes` lists codes edi837 itself writes here that do NOT come
    from the map, with `writes_source` saying where they do come from.

    `writes` widens a code list but never creates one: the modifiers SV101-03..06 have no code
    list in the map, and a line's existing modifiers (25, GP, ...) must stay writable when edi837
    shifts them to make room, so code that *adds* a modifier checks it against `writes` itself.
    `money_max_digits` is the implementation guide's limit on amounts (DE 782), stricter than the
    map's 18 and counted with cents even when they are implied.
    """

    ref: str
    seq: int
    component: int | None
    data_ele: str
    name: str
    usage: str
    data_type: str
    min_len: int
    max_len: int
    codes: frozenset[str] | None
    writes: frozenset[str] | None
    writes_source: str | None = None
    external_codes: str | None = None
    money_max_digits: int | None = None
    money_source: str | None = None


@dataclass(frozen=True, slots=True)
class CompositeDef:
    """A composite element; its components are ElementDefs in the segment's `elements`."""

    ref: str
    seq: int
    data_ele: str
    name: str
    usage: str
    components: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SegmentDef:
    """One segment as pyx12's map has it in `loop` (of map file `map_file`).

    `name` is the segment's name in that map: it tells apart segments that share an id in one
    loop (the 2300 loop has three HI segments, the 2400 loop a dozen DTP). `elements` holds simple
    elements and components, keyed by ref; both mappings are read-only views.
    """

    id: str
    name: str
    loop: str
    map_file: str
    elements: Mapping[str, ElementDef]
    composites: Mapping[str, CompositeDef]
    path: Path


def load_folder(folder: Path) -> dict[str, SegmentDef]:
    files = sorted(folder.glob("*.xml"))
    if not files:
        raise SegmentDefinitionError(f"no segment definitions (*.xml) in {folder}")
    out: dict[str, SegmentDef] = {}
    for path in files:
        seg = _load_file(path)
        if seg.id in out:
            raise SegmentDefinitionError(
                f"{path.name}: segment {seg.id} is already defined in {out[seg.id].path.name}"
            )
        out[seg.id] = seg
    return out


def _load_file(path: Path) -> SegmentDef:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise SegmentDefinitionError(f"{path.name}: not well-formed XML: {exc}") from exc
    where = path.name
    if root.tag != "segment":
        raise SegmentDefinitionError(f"{where}: the root element must be <segment>, not <{root.tag}>")
    seg_id = _attr(root, "id", where)
    if not _SEGMENT_ID.fullmatch(seg_id):
        raise SegmentDefinitionError(f"{where}: {seg_id!r} is not a segment id")
    sources = {_attr(s, "id", where): " ".join((s.text or "").split()) for s in root.findall("source")}
    elements: dict[str, ElementDef] = {}
    composites: dict[str, CompositeDef] = {}
    seqs: set[int] = set()
    for child in root:
        tag = child.tag
        if tag == "source":
            continue
        if tag == "element":
            defn = _element(child, seg_id, None, sources, where)
            _add(elements, defn.ref, defn, child, where)
            seq = defn.seq
        elif tag == "composite":
            comp = _composite(child, seg_id, sources, elements, where)
            _add(composites, comp.ref, comp, child, where)
            seq = comp.seq
        else:
            raise SegmentDefinitionError(f"{where} line {child.sourceline}: unexpected <{tag}> in <segment>")
        if seq in seqs:
            raise SegmentDefinitionError(f"{where} line {child.sourceline}: position {seq} appears twice")
        seqs.add(seq)
    if not elements:
        raise SegmentDefinitionError(f"{where}: segment {seg_id} defines no elements")
    return SegmentDef(
        id=seg_id,
        name=_attr(root, "name", where),
        loop=_attr(root, "loop", where),
        map_file=_attr(root, "map", where),
        elements=MappingProxyType(elements),
        composites=MappingProxyType(composites),
        path=path,
    )


def _add(into: dict[str, _T], ref: str, item: _T, node: etree._Element, where: str) -> None:
    if ref in into:
        raise SegmentDefinitionError(f"{where} line {node.sourceline}: {ref} is defined twice")
    into[ref] = item


def _composite(
    node: etree._Element,
    seg_id: str,
    sources: Mapping[str, str],
    elements: dict[str, ElementDef],
    where: str,
) -> CompositeDef:
    seq = _int_attr(node, "seq", where)
    ref = _attr(node, "ref", where)
    if ref != f"{seg_id}{seq:02d}":
        raise SegmentDefinitionError(
            f"{where} line {node.sourceline}: composite at position {seq} must be "
            f"{seg_id}{seq:02d}, not {ref}"
        )
    parts: list[str] = []
    seen: set[int] = set()
    for child in node:
        if child.tag != "element":
            raise SegmentDefinitionError(
                f"{where} line {child.sourceline}: unexpected <{child.tag}> in <composite>"
            )
        defn = _element(child, seg_id, (seq, ref), sources, where)
        assert defn.component is not None
        if defn.component in seen:
            raise SegmentDefinitionError(
                f"{where} line {child.sourceline}: component {defn.ref} appears twice"
            )
        seen.add(defn.component)
        _add(elements, defn.ref, defn, child, where)
        parts.append(defn.ref)
    return CompositeDef(
        ref=ref,
        seq=seq,
        data_ele=_attr(node, "data_ele", where),
        name=_attr(node, "name", where),
        usage=_usage(node, where),
        components=tuple(parts),
    )


def _element(
    node: etree._Element,
    seg_id: str,
    composite: tuple[int, str] | None,
    sources: Mapping[str, str],
    where: str,
) -> ElementDef:
    line = f"{where} line {node.sourceline}"
    own_seq = _int_attr(node, "seq", where)
    ref = _attr(node, "ref", where)
    expected = f"{seg_id}{own_seq:02d}" if composite is None else f"{composite[1]}-{own_seq:02d}"
    if ref != expected:
        raise SegmentDefinitionError(f"{line}: element at position {own_seq} must be {expected}, not {ref}")
    data_type = _attr(node, "type", where)
    if data_type not in DATA_TYPES:
        raise SegmentDefinitionError(
            f"{line}: {ref} has data type {data_type!r}, edi837 checks only {' '.join(sorted(DATA_TYPES))}"
        )
    min_len, max_len = _int_attr(node, "min", where), _int_attr(node, "max", where)
    if not 0 < min_len <= max_len:
        raise SegmentDefinitionError(f"{line}: {ref} has lengths {min_len} to {max_len}")
    codes: frozenset[str] | None = None
    external: str | None = None
    writes: frozenset[str] | None = None
    writes_source: str | None = None
    money_max: int | None = None
    money_source: str | None = None
    for child in node:
        if child.tag == "codes":
            if codes is not None or external is not None:
                raise SegmentDefinitionError(f"{line}: {ref} has two <codes>")
            external = child.get("external")
            text = (child.text or "").split()
            if external is not None and text:
                raise SegmentDefinitionError(f"{line}: {ref} lists codes and an external code list")
            if external is None:
                if not text:
                    raise SegmentDefinitionError(f"{line}: {ref} has an empty <codes>")
                codes = frozenset(text)
        elif child.tag == "writes":
            if writes is not None:
                raise SegmentDefinitionError(f"{line}: {ref} has two <writes>")
            writes = frozenset((child.text or "").split())
            writes_source = _source(child, sources, line)
            if not writes:
                raise SegmentDefinitionError(f"{line}: {ref} has an empty <writes>")
        elif child.tag == "ig_limit":
            money_max = _int_attr(child, "money_max_digits", where)
            money_source = _source(child, sources, line)
            if data_type != "R":
                raise SegmentDefinitionError(f"{line}: {ref} has an amount limit but is not type R")
        else:
            raise SegmentDefinitionError(f"{line}: unexpected <{child.tag}> in <element>")
    return ElementDef(
        ref=ref,
        seq=own_seq if composite is None else composite[0],
        component=None if composite is None else own_seq,
        data_ele=_attr(node, "data_ele", where),
        name=_attr(node, "name", where),
        usage=_usage(node, where),
        data_type=data_type,
        min_len=min_len,
        max_len=max_len,
        codes=codes,
        writes=writes,
        writes_source=writes_source,
        external_codes=external,
        money_max_digits=money_max,
        money_source=money_source,
    )


def _source(node: etree._Element, sources: Mapping[str, str], line: str) -> str:
    """The text of the <source> a not-from-the-map entry names: no entry without its provenance."""
    key = node.get("source")
    if key is None or key not in sources or not sources[key]:
        raise SegmentDefinitionError(f"{line}: <{node.tag}> must name a <source> of this file")
    return sources[key]


def _attr(node: etree._Element, name: str, where: str) -> str:
    value = node.get(name)
    if value is None or not value.strip():
        raise SegmentDefinitionError(
            f"{where} line {node.sourceline}: <{node.tag}> needs a {name}= attribute"
        )
    return value


def _int_attr(node: etree._Element, name: str, where: str) -> int:
    value = _attr(node, name, where)
    if not _DIGITS.fullmatch(value):
        raise SegmentDefinitionError(f"{where} line {node.sourceline}: {name}={value!r} is not a number")
    return int(value)


def _usage(node: etree._Element, where: str) -> str:
    usage = _attr(node, "usage", where)
    if usage not in USAGES:
        raise SegmentDefinitionError(f"{where} line {node.sourceline}: usage {usage!r} is not R, S or N")
    return usage
