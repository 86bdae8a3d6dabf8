"""Real network faults, made on the loopback interface: a port where nothing listens (connection
refused, as when a server is down) and a server that accepts connections and never answers (a
hung or overloaded server: the client's timeout is what saves it)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

from tests.servers import free_port

# A port nothing listens on: bound, then released, so connecting is refused.
closed_port = free_port


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A TCP server that accepts every connection and never sends a byte; yields its port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_forever():
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            accepted.append(connection)  # held open, never answered

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in accepted:
            connection.close()
        listener.close()
