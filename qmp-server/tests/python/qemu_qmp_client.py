"""qemu.qmp's QMPClient, QEMU's own Python client, against a qmp-server.

usage: qemu_qmp_client.py {toy-vm,oob} SOCKET [--guard SECONDS]

Prints one JSON line per step, ``{"step": NAME, "outcome": VALUE}``, for
tests/python_client.rs to compare with what it expects, step by step. An
answer is ``{"return": VALUE}`` or, when qemu.qmp raised ExecuteError,
``{"ExecuteError": {"class": CLASS, "desc": DESC}}``.

Anything else (an exception, or a step without an answer within the hang
guard) ends the script with status 1 and says why on standard error, with
every message each client sent and received, as written on the wire.

Scenarios:

- toy-vm: the toy VM example. A client that negotiates (qemu.qmp enables
  ``oob``, which the server offers) drives the machine and sees its
  events, then is refused in the wrong mode; a second client with
  ``negotiate = False`` is refused in the other direction, negotiates by
  hand and sees events from then on.
- oob: a server whose in-band ``stop`` waits until ``migrate-pause`` (an
  ``allow-oob`` command) runs. qemu.qmp sends ``stop``, then
  ``migrate-pause`` as ``exec-oob``: both answer only if the out-of-band
  command overtakes the in-band one.
"""

import argparse
import asyncio
import json
import sys
import traceback
from typing import Any, Awaitable, Callable, List, Optional

from qemu.qmp import ExecuteError, QMPClient
from qemu.qmp.message import Message


class Hang(Exception):
    """A step got no answer within the hang guard."""


#: Every message sent and received, by every client, in order.
WIRE: List[str] = []

#: Seconds a step may take before the script gives up (a hang guard).
GUARD = 30.0


class Recording(QMPClient):
    """QMPClient, recording what it writes and reads (each message's text
    as on the wire), through its own hooks."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.label = name
        self.sent: List[str] = []
        self.received: List[str] = []

    def _do_send(self, msg: Message) -> None:
        super()._do_send(msg)
        text = bytes(msg).decode()
        self.sent.append(text)
        WIRE.append(f"{self.label} --> {json.dumps(text)}")

    def _cb_inbound(self, msg: Message) -> Message:
        text = bytes(msg).decode()
        self.received.append(text)
        WIRE.append(f"{self.label} <-- {json.dumps(text)}")
        return super()._cb_inbound(msg)


def report(step: str, outcome: Any) -> None:
    print(json.dumps({"step": step, "outcome": outcome}), flush=True)


async def guarded(step: str, awaitable: Awaitable[Any]) -> Any:
    try:
        return await asyncio.wait_for(awaitable, GUARD)
    except asyncio.TimeoutError as err:
        raise Hang(f"step {step!r}: nothing within {GUARD:g} s "
                   "(hang guard)") from err


async def answer(step: str, awaitable: Awaitable[Any],
                 shape: Optional[Callable[[Any], Any]] = None) -> None:
    """Reports the answer to a command: its return value (through
    `shape`, if given) or qemu.qmp's ExecuteError."""
    try:
        value = await guarded(step, awaitable)
    except ExecuteError as err:
        report(step, {"ExecuteError": {"class": err.error_class,
                                       "desc": str(err)}})
        return
    report(step, {"return": shape(value) if shape else value})


def event(msg: Message) -> Any:
    """An event, its timestamp's values replaced by their types."""
    timestamp = msg.get("timestamp")
    return {
        "event": msg["event"],
        "members": sorted(msg.keys()),
        "timestamp": {key: type(value).__name__
                      for key, value in timestamp.items()}
        if isinstance(timestamp, dict) else timestamp,
    }


async def next_event(step: str, client: QMPClient) -> None:
    report(step, event(await guarded(step, client.events.get())))


def command_names(commands: Any) -> List[str]:
    return sorted(command["name"] for command in commands)


async def toy_vm(socket: str) -> None:
    qmp = Recording("negotiating")
    await guarded("connect, negotiating", qmp.connect(socket))
    report("greeting", json.loads(qmp.received[0]))
    report("negotiation", {"sent": qmp.sent, "received": qmp.received[1:]})

    # Connected before the events below, but not negotiated: it must not
    # see them.
    bare = Recording("unnegotiated")
    bare.negotiate = False
    await guarded("connect, unnegotiated", bare.connect(socket))
    report("unnegotiated: connecting", {
        "greeting": json.loads(bare.received[0]) if bare.received else None,
        "sent": bare.sent,
    })

    await answer("query-status", qmp.execute("query-status"))
    await answer("stop", qmp.execute("stop"))
    await next_event("STOP event", qmp)
    await answer("query-status, stopped", qmp.execute("query-status"))
    await answer("cont", qmp.execute("cont"))
    await next_event("RESUME event", qmp)
    await answer("query-commands", qmp.execute("query-commands"),
                 command_names)
    await answer("query-version", qmp.execute("query-version"))
    await answer("qmp_capabilities, negotiated",
                 qmp.execute("qmp_capabilities"))
    await answer("unknown command", qmp.execute("no-such-command"))
    await answer("exec-oob query-status",
                 qmp.execute("query-status", oob=True))
    report("exec-oob query-status: sent", json.loads(qmp.sent[-1]))

    await answer("unnegotiated: query-status", bare.execute("query-status"))
    report("unnegotiated: events",
           [e["event"] for e in bare.events.clear()])
    await answer("unnegotiated: qmp_capabilities",
                 bare.execute("qmp_capabilities"))
    await answer("negotiated by hand: query-status",
                 bare.execute("query-status"))
    await answer("negotiated by hand: exec-oob query-status",
                 bare.execute("query-status", oob=True))

    await answer("stop, again", qmp.execute("stop"))
    await next_event("STOP event, again", qmp)
    await next_event("negotiated by hand: STOP event", bare)
    await answer("cont, again", qmp.execute("cont"))
    await next_event("RESUME event, again", qmp)
    await next_event("negotiated by hand: RESUME event", bare)

    await guarded("disconnect", qmp.disconnect())
    await guarded("disconnect", bare.disconnect())
    report("events left", {
        "negotiating": [e["event"] for e in qmp.events.clear()],
        "negotiated by hand": [e["event"] for e in bare.events.clear()],
    })


async def oob(socket: str) -> None:
    qmp = Recording("oob")
    await guarded("connect", qmp.connect(socket))
    report("greeting", json.loads(qmp.received[0]))
    report("negotiation", {"sent": qmp.sent, "received": qmp.received[1:]})

    stop = asyncio.ensure_future(qmp.execute("stop"))
    # Lets the task above queue `stop` before `migrate-pause` is queued
    # (asyncio's order, not a delay); the order sent is reported below.
    await asyncio.sleep(0)
    await answer("exec-oob migrate-pause",
                 qmp.execute("migrate-pause", oob=True))
    await answer("stop", stop)
    report("sent, in order", [json.loads(text) for text in qmp.sent[1:]])
    await guarded("disconnect", qmp.disconnect())


async def main() -> int:
    global GUARD  # pylint: disable=global-statement
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["toy-vm", "oob"])
    parser.add_argument("socket")
    parser.add_argument("--guard", type=float, default=GUARD)
    args = parser.parse_args()
    GUARD = args.guard
    scenario = toy_vm if args.scenario == "toy-vm" else oob
    try:
        await scenario(args.socket)
    except Hang as err:
        print(f"qemu.qmp: {err}", file=sys.stderr)
    except Exception:  # pylint: disable=broad-except
        traceback.print_exc()
    else:
        return 0
    print("on the wire (client, direction, text as JSON):", file=sys.stderr)
    for line in WIRE:
        print(f"  {line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
