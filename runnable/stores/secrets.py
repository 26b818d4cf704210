"""Secret sources. A secret is looked up by name when a task needs it and never stored."""

from __future__ import annotations

import os
import re

from runnable.ir.errors import ConfigError, RunnableError


class SecretNotFoundError(RunnableError):
    """A task asked for a secret the configured source does not have."""


class EnvSecrets:
    """Secrets are environment variables of the same name."""

    def get(self, name: str) -> str:
        try:
            return os.environ[name]
        except KeyError:
            raise SecretNotFoundError(
                f"Secret {name!r} is not set: export it as an environment variable before the run."
            ) from None


_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def parse_dotenv(text: str, source: str) -> dict[str, str]:
    """KEY=VALUE lines, optional 'export', '#' comments, single or double quotes."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _DOTENV_LINE.match(line)
        if not match:
            raise ConfigError(f"{source}:{number}: expected KEY=VALUE.")
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
            if match.group(2).startswith('"'):
                value = value.replace("\\n", "\n").replace('\\"', '"')
        else:
            value = re.sub(r"\s+#.*$", "", value)
        values[key] = value
    return values


class DotenvSecrets:
    """Secrets read from a dotenv file (default ``.env``), loaded once on first use."""

    def __init__(self, location: str = ".env") -> None:
        self.location = os.fspath(location)
        self._values: dict[str, str] | None = None

    def get(self, name: str) -> str:
        if self._values is None:
            try:
                with open(self.location, encoding="utf-8") as handle:
                    text = handle.read()
            except FileNotFoundError:
                raise SecretNotFoundError(
                    f"Secret {name!r}: the dotenv file {str(self.location)!r} does not exist."
                ) from None
            self._values = parse_dotenv(text, str(self.location))
        try:
            return self._values[name]
        except KeyError:
            raise SecretNotFoundError(f"Secret {name!r} is not in {str(self.location)!r}.") from None


class DoNothingSecrets:
    """Every secret is an empty string: for dry runs that must not touch real credentials."""

    def get(self, name: str) -> str:
        return ""


class SecretFiles:
    """Secrets as files named after them in one folder: a Kubernetes Secret mounted as a volume.

    Pods read their secrets this way, so no secret value sits in a container's environment, where
    every process of the pod (and anyone who can read its /proc) sees it.
    """

    def __init__(self, location: str = "/runnable/secrets") -> None:
        self.location = os.fspath(location)

    def get(self, name: str) -> str:
        path = os.path.join(self.location, name)
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            raise SecretNotFoundError(f"Secret {name!r} is not mounted at {path}: add the key {name!r} to the "
                                      "Kubernetes Secret named by 'secret_from_k8s'.") from None
        except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
            raise SecretNotFoundError(f"Secret {name!r} cannot be read from {path}: {exc}.") from None

