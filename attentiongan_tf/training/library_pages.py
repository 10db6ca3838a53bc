"""Give back to the kernel the pages of the process's shared libraries that starting the runtime touched and
training does not use.

Importing TensorFlow reads about 0.32 GiB of its libraries' code and read-only data into the process's resident
memory (registering every op and kernel touches most of it); training steps read back 0.02–0.04 GiB of it.
Those are clean pages of files: the kernel may drop them whenever it needs memory and reads them back if they are
used again, so they cost a machine little, but they count in the process's resident set size (RSS) until then.
:func:`release_library_pages` asks the kernel to drop them now (``madvise(MADV_PAGEOUT)``, Linux 5.4 and later);
the ones a step needs come back at its first run. The kernel drops only the pages no other process maps: with a
second TensorFlow process running (another training, a notebook's kernel), the libraries' pages both use stay. On
the official model at 128² batch 1 (float32 Winograd, one op at a time) this took the training process's peak RSS
from 1.62–1.65 to 1.27–1.36 GiB at the same speed (docs/performance_log.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import sys
from pathlib import Path

__all__ = ["release_library_pages", "release_while_starting"]

_MADV_PAGEOUT = 21  # linux/mman.h


def release_library_pages(maps: Path = Path("/proc/self/maps")) -> int:
    """Ask the kernel to drop the resident pages of every read-only file mapping of this process (shared
    libraries' code and constants; never a writable mapping, never anonymous memory).

    Nothing is lost: the pages are clean copies of files and come back from the file when touched. Does nothing
    (returns 0) where the kernel cannot (not Linux, or a kernel before 5.4).

    Args:
        maps: the process's memory map (``/proc/self/maps``).

    Returns:
        The bytes of address space the kernel was asked to drop (mapped, not all of it resident).

    Example:
        >>> release_library_pages() >= 0
        True
    """
    if not sys.platform.startswith("linux") or not maps.is_file():
        return 0
    madvise = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    released = 0
    for start, end in read_only_file_mappings(maps.read_text()):
        if madvise(start, end - start, _MADV_PAGEOUT) == 0:
            released += end - start
        elif ctypes.get_errno() == errno.EINVAL:
            return released  # a kernel without MADV_PAGEOUT
        # else ENOMEM: the mapping went away since the map was read
    return released


def release_while_starting(steps_done: int) -> None:
    """:func:`release_library_pages` before a run's first training step (what starting the runtime touched) and
    before its second (what tracing and optimising the step's graphs touched); nothing from then on. RSS then
    shows what training keeps. The training loop and the speed benchmarks call it before every step.

    Args:
        steps_done: the steps this process has run so far (a resumed run counts from its resume).
    """
    if steps_done < 2:
        release_library_pages()


def read_only_file_mappings(maps_text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` addresses of the private, read-only mappings of files in a ``/proc/<pid>/maps`` text."""
    found = []
    for line in maps_text.splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) < 6 or fields[4] == "0" or not fields[5].startswith("/"):
            continue  # anonymous memory, the heap, the stack, [vdso] and the like
        permissions = fields[1]
        if "w" in permissions or not permissions.endswith("p"):
            continue  # writable or shared: never touched
        start, end = (int(address, 16) for address in fields[0].split("-"))
        found.append((start, end))
    return found
