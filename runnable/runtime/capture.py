"""Show a step's output live and keep a copy for the catalog, with secrets masked."""

from __future__ import annotations

import io
import sys
from contextlib import contextmanager
from typing import Any, Iterator, TextIO

MASK = "********"


class Masker:
    """Replaces known secret values in text before it is shown or stored."""

    def __init__(self, secrets: list[str]) -> None:
        # Each value also as JSON escapes it (an executed notebook is stored as JSON) and, for a
        # multi-line value such as a key file, line by line (output is shown line by line).
        # Longest first, so a secret that contains another is masked whole.
        import json

        forms: set[str] = set()
        for secret in filter(None, secrets):
            pieces = [secret] + [line for line in secret.splitlines() if len(line.strip()) >= 6]
            for piece in pieces:
                forms.update({piece, json.dumps(piece)[1:-1], json.dumps(piece, ensure_ascii=False)[1:-1]})
        self.secrets = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


class Tee:
    """A text stream that writes through to ``live`` and into ``buffer``.

    A plain class, not an ``io.TextIOBase``: IOBase closes itself when collected, and a thread
    that still holds the stream (an async caller printing while a task runs) must keep writing.
    """

    closed = False

    def __init__(self, live: TextIO, buffer: io.StringIO, mask: Masker) -> None:
        self.live = live
        self.buffer_ = buffer
        self.mask = mask

    def write(self, text: str) -> int:
        shown = self.mask(text)
        self.live.write(shown)
        self.buffer_.write(shown)
        return len(text)

    def flush(self) -> None:
        self.live.flush()

    def isatty(self) -> bool:
        return self.live.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.live, "encoding", "utf-8")

    def fileno(self) -> int:
        return self.live.fileno()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)


@contextmanager
def captured_output(mask: Masker) -> Iterator[io.StringIO]:
    """Redirect this process's ``sys.stdout``/``sys.stderr`` into one buffer while showing them."""
    buffer = io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout = Tee(saved[0], buffer, mask)
    sys.stderr = Tee(saved[1], buffer, mask)
    try:
        yield buffer
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            sys.stdout, sys.stderr = saved
