"""The loopback listening socket that the dev identity provider and `devserver.py` serve on."""

from __future__ import annotations

import socket

__all__ = ["loopback_listener"]


def loopback_listener(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host`:`port` (0: any free port) whose connections have Nagle off.

    uvicorn writes an answer's body after its head. With Nagle's algorithm on, that second write
    waits for the client to acknowledge the first, and the client delays its ACK (about 40 ms on
    Linux), so every answer on a kept-alive connection came about 40 ms late. Each accepted socket
    inherits TCP_NODELAY from its listener (Linux and the BSDs). asyncio would set it on its own
    only for a socket object it knows as TCP, and uvicorn re-wraps an `fd` it is given as AF_UNIX.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock
