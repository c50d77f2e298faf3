"""QEMU's control socket (QMP)."""
import json
import socket

from .errors import NodeError


def qmp_command(sock_path, execute, arguments=None, timeout=5.0):
    """Connect to a QMP socket, leave capabilities negotiation
    (qmp_capabilities), run one command and return its "return" value.
    Asynchronous events are skipped. Raises NodeError on an error reply or
    when QEMU does not answer within timeout (QMP serves one client at a time:
    another client keeps us waiting)."""
    def reply(f):
        while True:
            line = f.readline()
            if not line:
                raise NodeError(f"QMP {sock_path}: connection closed")
            msg = json.loads(line)
            if "return" in msg:
                return msg["return"]
            if "error" in msg:
                err = msg["error"]
                raise NodeError(f"QMP {execute}: {err.get('class')}: {err.get('desc')}")
            # {"event": ...} lines: not ours.

    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(sock_path))
            with s.makefile("rwb") as f:
                greeting = json.loads(f.readline() or b"{}")
                if "QMP" not in greeting:
                    raise NodeError(f"QMP {sock_path}: no greeting")
                for cmd in ({"execute": "qmp_capabilities"},
                            {"execute": execute, **({"arguments": arguments} if arguments else {})}):
                    f.write(json.dumps(cmd).encode() + b"\n")
                    f.flush()
                    result = reply(f)
                return result
    except socket.timeout:
        raise NodeError(f"QMP {sock_path}: no answer within {timeout:g} s "
                        f"(is another QMP client connected?)") from None
    except (OSError, ValueError) as e:
        raise NodeError(f"QMP {sock_path}: {e}") from None
