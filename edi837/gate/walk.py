"""pyx12's map walker, replayed over the compiled tables: which node a segment is, and whether pyx12's
walker would report anything on the way there.

Why a port and not a model of the 837P: pyx12 decides a segment's loop by a search with quirks of its
own (pyx12 4.0.0 map_walker.py: loops scanned before segments at one position, a wrapper loop matched by
any child loop, "mandatory missing" errors kept pending until a later match at another position, node
equality by id and parent id, counters keyed by path and reset by path prefix). The fast validator must
land on the same node pyx12 lands on, or the element checks that follow would use the wrong rules.

Why plans: the search itself depends only on the node the walker stands on and the segment's id and
qualifier, never on the counters. So it is done once per (node, id, qualifier) and recorded as a short
plan: the counter checks and updates pyx12 would make. Replaying a plan is a few dictionary operations;
a file of a million segments has a few hundred distinct plans.

A plan that would make pyx12 report anything (a segment not found, a mandatory segment or loop missing,
a repeat count exceeded, a segment or loop marked not used) makes `Counters.run` return False. The
fast validator never tries to say *what* pyx12 would report: pyx12 itself does that, on the flagged claims.
"""

from __future__ import annotations

from collections.abc import Sequence

from edi837.gate.tables import LOOP, ROOT, SEGMENT, Node, Tables

# Plan operations.
MISS = 0  # (MISS, path, pos, eqkey): a mandatory segment or loop passed; pending if its count is 0
INC = 1  # (INC, path, usage, max, pos, eqkey): a segment matched inside the loop it is in
ENTER = 2  # (ENTER, loop path, usage, max, first segment path): a loop entered at its first segment
LOST = 3  # (LOST,): pyx12 does not find the segment (or finds no node without saying so)
FORCE = 4  # (FORCE, loop path, segment path): ISA and GS, which pyx12 places by hand

Op = tuple[int, ...]
Plan = tuple[int, tuple[Op, ...]]  # (node the walker lands on, or -1 when lost; operations)
Values = tuple[bytes | None, ...]


class MapWalk:
    """Plans for pyx12's walk over the tables, made on first use and kept."""

    def __init__(self, tables: Tables) -> None:
        self.nodes = tables.nodes
        self.below = tables.below
        self.plans: dict[tuple[int, bytes, Values], Plan] = {}
        fields: dict[str, list[tuple[int, int]]] = {}
        for node in self.nodes:
            if node.kind == SEGMENT and node.match is not None:
                spot = node.match[:2]
                known = fields.setdefault(node.xid, [])
                if spot not in known:
                    known.append(spot)
        # For each segment id, where its qualifier values are read (usually element 01 or 01-1).
        self.fields: dict[bytes, tuple[tuple[int, int], ...]] = {
            k.encode("latin-1"): tuple(v) for k, v in fields.items()}
        self.isa = self._find(tables.root_control, ("ISA_LOOP", "ISA"))
        self.gs = self._find(tables.root_837, ("ISA_LOOP", "GS_LOOP", "GS"))
        control_gs = self._find(tables.root_control, ("ISA_LOOP", "GS_LOOP", "GS"))
        isa_loop, gs_loop = self.nodes[self.isa].parent, self.nodes[control_gs].parent
        self.force_isa: tuple[Op, ...] = ((FORCE, self.nodes[isa_loop].path, self.nodes[self.isa].path),)
        self.force_gs: tuple[Op, ...] = ((FORCE, self.nodes[gs_loop].path, self.nodes[control_gs].path),)

    def _find(self, root: int, names: Sequence[str]) -> int:
        node = root
        for name in names:
            node = next(c for c in self.nodes[node].children if self.nodes[c].xid == name)
        return node

    def plan(self, start: int, seg_id: bytes, values: Values) -> Plan:
        key = (start, seg_id, values)
        found = self.plans.get(key)
        if found is None:
            ops: list[Op] = []
            target = _Search(self.nodes, seg_id.decode("latin-1"), dict(zip(self.fields.get(seg_id, ()), values,
                                                                            strict=True)), ops).walk(start)
            found = self.plans[key] = (target, tuple(ops))
        return found


class _Search:
    """One dry run of pyx12's walk_tree.walk_errors, recording what it would count and check."""

    def __init__(self, nodes: tuple[Node, ...], seg_id: str, values: dict[tuple[int, int], bytes | None],
                 ops: list[Op]) -> None:
        self.nodes = nodes
        self.seg_id = seg_id
        self.values = values
        self.ops = ops

    def match(self, index: int) -> bool:
        node = self.nodes[index]
        if node.xid != self.seg_id:
            return False
        if node.match is None:
            return True
        return self.values.get(node.match[:2]) in node.match[2]

    def parent_loop(self, index: int) -> int:
        node = self.nodes[index]
        if node.kind == ROOT:
            return index
        parent = node.parent
        while self.nodes[parent].kind not in (LOOP, ROOT):
            parent = self.nodes[parent].parent
        return parent

    def walk(self, start: int) -> int:
        node, node_pos = start, self.nodes[start].pos
        if self.nodes[node].kind == SEGMENT:
            node = self.parent_loop(node)
        while True:
            found = self.scan(node, node_pos)
            if found is not None:
                if found < 0:
                    self.ops.append((LOST,))
                return found
            if self.nodes[node].kind == ROOT:
                self.ops.append((LOST,))
                return -1
            node_pos = self.nodes[node].pos
            node = self.parent_loop(node)

    def scan(self, loop: int, node_pos: int) -> int | None:
        """pyx12's _scan_loop_at_position; -1 stands for "matched, but no node" (pyx12 then says nothing)."""
        for index in self.nodes[loop].children:
            child = self.nodes[index]
            if child.pos < node_pos:
                continue
            if child.kind == SEGMENT:
                if self.match(index):
                    if self.nodes[loop].kind == LOOP and self.loop_match(loop):
                        return self.goto(loop)
                    self.ops.append((INC, child.path, _usage(child.usage), child.max_repeat, child.pos, child.eqkey))
                    return index
                if child.usage == "R":
                    self.ops.append((MISS, child.path, child.pos, child.eqkey))
            elif child.kind == LOOP and self.loop_match(index):
                return self.goto(index)
        return None

    def loop_match(self, loop: int) -> bool:
        """pyx12's _is_loop_match, with its side effect: a mandatory loop not matched is pending missing."""
        node = self.nodes[loop]
        if not node.children:
            return False
        first = self.nodes[node.children[0]]
        if first.kind == LOOP:
            return any(self.nodes[c].kind == LOOP and self.loop_match(c) for c in node.children)
        if self.match(node.children[0]):
            return True
        if node.usage == "R":
            self.ops.append((MISS, node.path, first.pos, first.eqkey))
        return False

    def goto(self, loop: int) -> int:
        """pyx12's _goto_seg_match: the loop (or a loop under it) whose first segment matches is entered."""
        node = self.nodes[loop]
        first = node.children[0] if node.children else -1
        if first >= 0 and self.nodes[first].kind == SEGMENT and self.match(first):
            self.ops.append((ENTER, node.path, _usage(node.usage), node.max_repeat, self.nodes[first].path))
            return first
        for child in node.children:
            if self.nodes[child].kind == LOOP:
                found = self.goto(child)
                if found >= 0:
                    return found
        return -1


def _usage(usage: str) -> int:
    """0 for a node marked Not Used (N), 1 otherwise; anything but R, S, N makes pyx12 raise: treated as N."""
    return 1 if usage in ("R", "S") else 0


class Counters:
    """pyx12's NodeCounter and pending "mandatory missing" list, as far as they decide whether it reports."""

    def __init__(self, below: dict[int, frozenset[int]]) -> None:
        self.counts: dict[int, int] = {}
        self.below = below
        self.over = False  # the last run entered a loop past its repeat count

    def _reset(self, path: int) -> None:
        counts = self.counts
        for key in counts.keys() & self.below[path]:
            del counts[key]

    def run(self, ops: tuple[Op, ...]) -> bool:
        """Apply a plan; False when pyx12 would report an error on the way."""
        counts = self.counts
        ok = True
        self.over = False
        pending: list[tuple[int, int]] = []
        for op in ops:
            code = op[0]
            if code == INC:
                _, path, used, most, pos, eqkey = op
                count = counts[path] = counts.get(path, 0) + 1
                if not used or count > most:
                    ok = False
                if pending:
                    pending = [m for m in pending if m[1] != eqkey]
                    if any(m[0] != pos for m in pending):
                        ok = False
            elif code == MISS:
                if counts.get(op[1], 0) < 1:
                    pending.append((op[2], op[3]))
            elif code == ENTER:
                _, path, used, most, first = op
                if not used:
                    ok = False
                else:
                    self._reset(path)
                    count = counts[path] = counts.get(path, 0) + 1
                    if count > most:
                        ok = False
                        self.over = True
                counts[first] = counts.get(first, 0) + 1
                if pending:
                    ok = False
                    pending = []
            elif code == FORCE:
                _, path, first = op
                self._reset(path)
                counts[path] = counts.get(path, 0) + 1
                counts[first] = counts.get(first, 0) + 1
            else:
                ok = False
        return ok
