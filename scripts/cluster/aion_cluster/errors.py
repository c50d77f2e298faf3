"""The errors every part of the host tool raises."""


class NodeError(RuntimeError):
    """The node cannot do what was asked (QEMU exited, failed to start, ...)."""


class NodeTimeout(NodeError, TimeoutError):
    """An expected console line did not appear in time."""
