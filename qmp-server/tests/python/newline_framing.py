"""A workaround, not a fix: make qemu.qmp end every message it sends
with a newline.

qemu.qmp 0.0.6 writes each message as bare compact JSON, with no newline
after it (``QMPClient._do_send`` writes ``bytes(msg)``), which QEMU's
streaming JSON parser takes. qmp-server reads one request per line and so
never sees the end of the first one: the client waits for an answer that
does not come. The tests that use this module show that, the framing
aside, qemu.qmp and qmp-shell work with the server; the tests without it
show the bug.
"""

from qemu.qmp.qmp_client import QMPClient

#: Whether `install` ran.
INSTALLED = False


def install() -> None:
    """Patch QMPClient (and so qmp-shell, which uses it) for good."""
    global INSTALLED  # pylint: disable=global-statement
    if INSTALLED:
        return
    send = QMPClient._do_send  # pylint: disable=protected-access

    def _do_send(self, msg):  # type: ignore[no-untyped-def]
        send(self, msg)
        self._writer.write(b"\n")  # pylint: disable=protected-access

    QMPClient._do_send = _do_send  # pylint: disable=protected-access
    INSTALLED = True
