"""Who holds a local TCP port: for the message of a server that cannot bind (Linux /proc;
elsewhere it says nothing rather than guess)."""

from __future__ import annotations

import os
from pathlib import Path


def _inodes(port: int) -> set[str]:
    """Socket inodes of every local TCP socket on `port`, listening or connected."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and int(cols[1].rsplit(":", 1)[1], 16) == port:
                found.add(cols[9])
    found.discard("0")  # sockets in TIME_WAIT belong to no process
    return found


def holder(port: int) -> str:
    """`pid N (command)` of a process holding a socket on `port`, or "" if none is seen."""
    inodes = {f"socket:[{i}]" for i in _inodes(port)}
    if not inodes:
        return ""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in fds):
                name = Path(f"/proc/{pid}/comm").read_text().strip()
                return f"pid {pid} ({name})"
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return ""


def port_taken_message(address: str, variable: str) -> str:
    port = int(address.rsplit(":", 1)[1])
    who = holder(port)
    return (
        f"cannot listen on {address}: the port is taken"
        + (f" by {who}" if who else "")
        + (f"; set {variable} to move it" if variable else "")
    )


def ephemeral_range() -> tuple[int, int]:
    """The ports the kernel hands out as the local end of outgoing connections."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default
