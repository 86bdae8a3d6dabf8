"""A local SMTP server that accepts every message and keeps count: the mail server of the email
benchmarks (bench/bench_lifecycle_queue.py) and of the tests of sending (tests/members/).

    python -m bench.smtp_sink --port 2525 [--delay-ms 5]

It speaks just enough SMTP for Django's SMTP backend (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT), without TLS or authentication. `delay_ms` holds each message that long before answering,
as a real server's work does. `hang_connections` makes that many connections, the first ones
opened, answer nothing after the greeting (a server that accepts and hangs); later connections are
served as usual.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes
    connection: int


@dataclass
class SmtpSink:
    host: str = "127.0.0.1"
    port: int = 0
    delay_ms: float = 0.0
    hang_connections: int = 0
    keep_data: bool = True  # False: keep who each message went to, not its text (benchmarks)
    messages: list[Received] = field(default_factory=list)
    connections: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _server: asyncio.AbstractServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- running in a thread of the calling process (tests) ---------------------------------

    def start(self) -> SmtpSink:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._serve, self.host, self.port)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return

        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(10)
        self._loop = None

    def recipients(self) -> list[str]:
        with self._lock:
            return [r for m in self.messages for r in m.recipients]

    # --- the protocol ---------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.connections += 1
            number = self.connections
        try:
            writer.write(b"220 sink ESMTP\r\n")
            await writer.drain()
            if number <= self.hang_connections:
                await reader.read()  # answers nothing, until the client gives up
                return
            await self._session(reader, writer, number)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, or the sink is stopping
        finally:
            writer.close()

    async def _session(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int
    ) -> None:
        sender, recipients = "", []
        while line := await reader.readline():
            command = line.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                writer.write(b"250-sink\r\n250 8BITMIME\r\n" if verb == "EHLO" else b"250 sink\r\n")
            elif verb == "MAIL":
                sender, recipients = command[10:].strip(), []
                writer.write(b"250 OK\r\n")
            elif verb == "RCPT":
                recipients.append(command[8:].strip().strip("<>"))
                writer.write(b"250 OK\r\n")
            elif verb == "DATA":
                writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                await writer.drain()
                data = await reader.readuntil(b"\r\n.\r\n")
                if self.delay_ms:
                    await asyncio.sleep(self.delay_ms / 1000)
                with self._lock:
                    kept = data if self.keep_data else b""
                    self.messages.append(Received(sender, recipients, kept, number))
                writer.write(b"250 OK queued\r\n")
            elif verb in ("RSET", "NOOP"):
                writer.write(b"250 OK\r\n")
            elif verb == "QUIT":
                writer.write(b"221 Bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"502 Command not implemented\r\n")
            await writer.drain()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    args = parser.parse_args()
    sink = SmtpSink(host=args.host, port=args.port, delay_ms=args.delay_ms).start()
    print(f"SMTP sink on {args.host}:{sink.port}", flush=True)
    try:
        while True:
            time.sleep(10)
            print(f"{len(sink.messages)} messages, {sink.connections} connections", flush=True)
    except KeyboardInterrupt:
        sink.stop()


if __name__ == "__main__":
    main()
