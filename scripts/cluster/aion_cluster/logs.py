"""Reading a node's serial log as `logs` shows it: whole lines, plain text,
following the file through a restart of the node (start() moves the old
log aside and QEMU writes a new file)."""
import codecs
import os

from .node import plain


def last_lines(text, n=None):
    """The last n lines of text (all when n is None), each ending in a
    newline (an unfinished last line is left for later)."""
    lines = text.splitlines(keepends=True)
    if n is None:
        return "".join(lines)
    return "".join(lines[len(lines) - n:]) if n else ""


class LogReader:
    """Reads what was added to a log file since the last read(), as plain
    text in whole lines. A file replaced by a new one (another inode) or
    cut shorter is read again from its start."""

    def __init__(self, path):
        self.path = path
        self.inode = None
        self.pos = 0
        self.partial = ""
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def read(self):
        """The whole lines added since the last call; None when the file
        does not exist."""
        try:
            with open(self.path, "rb") as f:
                st = os.fstat(f.fileno())
                if st.st_ino != self.inode or st.st_size < self.pos:
                    self.inode, self.pos, self.partial = st.st_ino, 0, ""
                    self.decoder.reset()
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return None
        self.pos += len(data)
        text = self.partial + self.decoder.decode(data)
        end = text.rfind("\n") + 1
        self.partial = text[end:]
        return plain(text[:end])
