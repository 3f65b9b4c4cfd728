"""OUT, the change log, the held file and the report are regular files or nothing (issue 20, item 2).

As root, `edi-fix IN /dev/null` used to replace the device node with a regular file holding the 837. Any
output path that is a character or block device, a FIFO, a socket, a folder or a symbolic link is refused
with exit 2 and one line, and nothing is touched: the node is still what it was (same inode, same kind),
and no other output appears. Real device nodes (made with mknod in the test's folder, never opened), real
FIFOs and sockets, and /dev/null itself; real `edi-fix` processes for the CLI and the hook.
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from edi837.delivery.outputs import Outputs
from edi837.errors import InputRefused
from edi837.pipeline import FixOptions
from tests.cli_helpers import edi_fix, one_refusal
from tests.test_split import REVIEW, mixed_file

DATA = mixed_file()  # holds five claims with --hold review: every output has something to write


def char_device(path: Path) -> None:
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # the numbers of /dev/null: harmless if ever opened


def block_device(path: Path) -> None:
    os.mknod(path, stat.S_IFBLK | 0o600, os.makedev(7, 250))  # a loop device number; never opened


def fifo(path: Path) -> None:
    os.mkfifo(path)


def folder(path: Path) -> None:
    path.mkdir()


def link(path: Path) -> None:
    (path.parent / "elsewhere.txt").write_bytes(b"the file a link points to\n")
    path.symlink_to(path.parent / "elsewhere.txt")


KINDS: dict[str, tuple[Callable[[Path], None], str]] = {
    "char": (char_device, "a character device"), "block": (block_device, "a block device"),
    "fifo": (fifo, "a FIFO"), "folder": (folder, "a folder"), "link": (link, "a symbolic link"),
}
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a device node needs root")


@contextmanager
def special(path: Path, kind: str) -> Iterator[None]:
    """Make `path` the special file `kind` (a socket stays bound for the block)."""
    if kind == "socket":
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(path))
            yield
        return
    KINDS[kind][0](path)
    yield


def words(kind: str) -> str:
    return "a socket" if kind == "socket" else KINDS[kind][1]


def snapshot(folder_: Path) -> dict[str, tuple[int, int, int]]:
    """Every entry of the folder: its inode, its type bits, and its size for regular files."""
    return {p.name: (p.lstat().st_ino, stat.S_IFMT(p.lstat().st_mode),
                     p.lstat().st_size if stat.S_ISREG(p.lstat().st_mode) else 0) for p in folder_.iterdir()}


ALL_KINDS = [*KINDS, "socket"]
OUTPUTS = ["out", "changelog", "held", "report"]


def cli_paths(tmp_path: Path) -> dict[str, Path]:
    return {"out": tmp_path / "out.837", "changelog": tmp_path / "log.jsonl", "held": tmp_path / "held.837",
            "report": tmp_path / "report.html"}


def cli_args(src: Path, paths: dict[str, Path]) -> list[str]:
    return [str(src), str(paths["out"]), "--changelog", str(paths["changelog"]), "--hold", "review", "--held",
            str(paths["held"]), "--report", str(paths["report"]), "--no-validate"]


def hook_args(target: Path, paths: dict[str, Path]) -> list[str]:
    return ["hook", str(target), "--changelog", str(paths["changelog"]), "--hold", "review", "--held",
            str(paths["held"]), "--report", str(paths["report"]), "--no-validate"]


def refused_untouched(tmp_path: Path, which: str, kind: str, run: Callable[[], tuple[int, str]]) -> None:
    """Make the output `which` a `kind`, run, and check: exit 2, one line naming it, nothing touched."""
    paths = cli_paths(tmp_path)
    with special(paths[which], kind):
        before = snapshot(tmp_path)
        code, err = run()
        assert code == 2, err
        line = one_refusal(err)
        assert f"refused: {paths[which]}: " in line and f"is {words(kind)}, not a regular file" in line
        assert snapshot(tmp_path) == before  # the node untouched, nothing else written


def in_process(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from edi837.cli.app import main

    code = main(args)
    return code, capsys.readouterr().err


@needs_root
@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("which", OUTPUTS)
def test_the_cli_refuses_an_output_that_is_not_a_regular_file(tmp_path: Path, which: str, kind: str,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.837"
    src.write_bytes(DATA)
    refused_untouched(tmp_path, which, kind, lambda: in_process(cli_args(src, cli_paths(tmp_path)), capsys))


@needs_root
@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("which", ["changelog", "held", "report"])
def test_the_hook_refuses_a_side_file_that_is_not_a_regular_file(tmp_path: Path, which: str, kind: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "b.837"
    target.write_bytes(DATA)
    refused_untouched(tmp_path, which, kind, lambda: in_process(hook_args(target, cli_paths(tmp_path)), capsys))
    assert target.read_bytes() == DATA


@needs_root
@pytest.mark.parametrize(("entry", "which", "kind"), [
    ("cli", "out", "char"), ("cli", "changelog", "fifo"), ("cli", "held", "socket"), ("cli", "report", "block"),
    ("hook", "changelog", "char"), ("hook", "held", "fifo"), ("hook", "report", "folder"),
])
def test_a_real_edi_fix_process_refuses_it_too(tmp_path: Path, entry: str, which: str, kind: str) -> None:
    src = tmp_path / "in.837"
    src.write_bytes(DATA)
    args = cli_args(src, cli_paths(tmp_path)) if entry == "cli" else hook_args(src, cli_paths(tmp_path))

    def run() -> tuple[int, str]:
        done = edi_fix(*args)
        return done.returncode, done.stderr.decode()

    refused_untouched(tmp_path, which, kind, run)
    assert src.read_bytes() == DATA


@pytest.fixture
def dev_null_guard() -> Iterator[None]:
    """A regression that writes through /dev/null would break every process on the machine: whatever the
    test finds, /dev/null is a character device 1:3, mode 0666, again when it ends."""
    try:
        yield
    finally:
        info = os.lstat("/dev/null")
        if not stat.S_ISCHR(info.st_mode) or info.st_rdev != os.makedev(1, 3):
            os.unlink("/dev/null")
            os.mknod("/dev/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
            os.chmod("/dev/null", 0o666)


@needs_root
@pytest.mark.parametrize("flag", ["OUT", "--changelog", "--held", "--report"])
def test_dev_null_itself_is_refused_and_stays_the_device(tmp_path: Path, flag: str, dev_null_guard: None) -> None:
    src = tmp_path / "in.837"
    src.write_bytes(DATA)
    null = os.lstat("/dev/null")
    out = "/dev/null" if flag == "OUT" else str(tmp_path / "out.837")
    extra = [flag, "/dev/null"] if flag != "OUT" else []
    done = edi_fix(str(src), out, "--hold", "review", "--no-validate", *extra)
    assert done.returncode == 2 and "/dev/null: " in one_refusal(done.stderr.decode())
    after = os.lstat("/dev/null")
    assert (after.st_ino, after.st_rdev, stat.S_ISCHR(after.st_mode)) == (null.st_ino, null.st_rdev, True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.837"]
    if flag == "OUT":  # --check writes nothing, so /dev/null as OUT is fine there
        assert edi_fix(str(src), "/dev/null", "--check", "--no-validate").returncode == 1


@needs_root
@pytest.mark.parametrize("which", OUTPUTS)
def test_a_special_file_that_appears_during_the_run_stops_the_commit(tmp_path: Path, which: str) -> None:
    """The last look, just before anything is committed: a FIFO made at an output path while the run went on
    is refused (exit 2 in the CLI) and nothing at all is committed, the FIFO included."""
    src = tmp_path / "in.837"
    src.write_bytes(DATA)
    paths = {"out": tmp_path / "out.837", "changelog": tmp_path / "log.jsonl", "held": tmp_path / "held.837",
             "report": tmp_path / "report.html"}
    with pytest.raises(InputRefused, match=f"{paths[which]}: the .* path is a FIFO"), \
            Outputs(output=paths["out"], changelog=paths["changelog"], held=paths["held"],
                    report=paths["report"]) as outputs:
        outputs.run(lambda: src.open("rb"), FixOptions(hold=REVIEW, validate=False))
        os.mkfifo(paths[which])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.837", paths[which].name])
    assert stat.S_ISFIFO(paths[which].lstat().st_mode)
