"""The socket the dev identity provider and `devserver.py` listen on hands out connections with Nagle off.

With Nagle on, uvicorn's answer body waited for the client's delayed ACK: about 40 ms per answer
on a kept-alive connection, for every token, JWKS and metadata request of a local sign-in.
"""

from __future__ import annotations

import socket

import httpx
import pytest

from devidp import DevIdentityProvider
from devidp.listener import loopback_listener


def test_each_accepted_connection_has_nagle_off() -> None:
    listener = loopback_listener("127.0.0.1", 0)
    try:
        listener.listen()
        with socket.create_connection(listener.getsockname()):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        listener.close()


def test_port_zero_is_a_free_port_and_a_taken_port_is_an_os_error() -> None:
    listener = loopback_listener("127.0.0.1", 0)
    try:
        host, port = listener.getsockname()
        assert host == "127.0.0.1" and port > 0
        listener.listen()
        with pytest.raises(OSError):
            loopback_listener("127.0.0.1", port)
    finally:
        listener.close()


def test_the_running_provider_answers_on_connections_with_nagle_off() -> None:
    with DevIdentityProvider(port=0) as idp, httpx.Client() as http:
        assert http.get(idp.metadata_url).status_code == 200  # the connection stays open (keep-alive)
        server = idp._server  # the provider's uvicorn server: its live connections
        assert server is not None
        sockets = [protocol.transport.get_extra_info("socket") for protocol in server.server_state.connections]
        assert len(sockets) == 1
        assert sockets[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
