"""What Lambda keeps apart and the local stack's one process shares.

Lambda gives each function its own environment and each invocation its own container. The local
stack runs every function in one Python process, several invocations at once, so three things are
held per invocation in context variables instead of process globals:
- the environment: ``os.environ`` reads the running function's variables over the process's own, and
  hides the other functions' variables (the process has them all, for the tests and tools);
- printed output: ``sys.stdout`` writes go to the stack's output during an invocation;
- Powertools metrics: the buffer that ``log_metrics`` flushes belongs to one invocation, so two
  invocations at once never flush each other's metrics.
Outside an invocation (tests, the run command) everything reads and writes the process's own.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator, Mapping, MutableMapping, MutableSequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO, overload

_environment: ContextVar[Mapping[str, str] | None] = ContextVar("function_environment", default=None)
_hidden: ContextVar[frozenset[str]] = ContextVar("hidden_variables", default=frozenset())
_stdout: ContextVar[TextIO | None] = ContextVar("invocation_stdout", default=None)
_buffers: ContextVar[dict[str, Any] | None] = ContextVar("invocation_metric_buffers", default=None)
_process_buffers: dict[str, Any] = {}


class FunctionEnviron(MutableMapping[str, str]):
    """``os.environ`` as the running function sees it; writes go to the process environment."""

    def __init__(self, process: MutableMapping[str, str]) -> None:
        self.process = process

    def __getitem__(self, key: str) -> str:
        overlay = _environment.get()
        if overlay is not None and key in overlay:
            return overlay[key]
        if key in _hidden.get():
            raise KeyError(key)
        return self.process[key]

    def __setitem__(self, key: str, value: str) -> None:
        self.process[key] = value

    def __delitem__(self, key: str) -> None:
        del self.process[key]

    def _keys(self) -> set[str]:
        overlay = _environment.get() or {}
        return (set(self.process) - _hidden.get()) | set(overlay)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def copy(self) -> dict[str, str]:
        return dict(self)


class InvocationStdout(io.TextIOBase):
    """``sys.stdout``: the running invocation's output, else the process's."""

    def __init__(self, process: TextIO) -> None:
        self.process = process

    def write(self, text: str) -> int:
        return (_stdout.get() or self.process).write(text)

    def flush(self) -> None:
        (_stdout.get() or self.process).flush()


def _buffer(name: str, empty: type) -> Any:
    buffers = _buffers.get()
    store = _process_buffers if buffers is None else buffers
    found = store.get(name)
    if found is None:
        found = store[name] = empty()
    return found


class InvocationDict(MutableMapping[str, Any]):
    """A dict of the running invocation (one of Powertools' metric sets)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _data(self) -> dict[str, Any]:
        return _buffer(self.name, dict)  # type: ignore[no-any-return]

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


class InvocationList(MutableSequence[Any]):
    """A list of the running invocation (Powertools' extra dimension sets)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _data(self) -> list[Any]:
        return _buffer(self.name, list)  # type: ignore[no-any-return]

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self._data()[index]

    def __setitem__(self, index: Any, value: Any) -> None:
        self._data()[index] = value

    def __delitem__(self, index: Any) -> None:
        del self._data()[index]

    def __len__(self) -> int:
        return len(self._data())

    def insert(self, index: int, value: Any) -> None:
        self._data().insert(index, value)


def install() -> None:
    """Put the per-invocation views in place, once per process (before the functions are loaded)."""
    if not isinstance(os.environ, FunctionEnviron):
        os.environ = FunctionEnviron(os.environ)  # type: ignore[assignment]  # noqa: B003 - a view, not a new environment
    from account_unlock.observability import metrics

    provider: Any = metrics.provider
    if not isinstance(provider.metric_set, InvocationDict):
        for name in ("metric_set", "dimension_set", "metadata_set"):
            view = InvocationDict(name)
            view.update(getattr(provider, name))
            setattr(provider, name, view)
            setattr(metrics, name, view)
        provider.dimension_sets = InvocationList("dimension_sets")


@contextmanager
def invocation(environment: Mapping[str, str], stdout: TextIO, hidden: frozenset[str] = frozenset()) -> Iterator[None]:
    """Run the block as one invocation of a function with ``environment`` (process variables in ``hidden``
    unset), printing to ``stdout``."""
    if not isinstance(sys.stdout, InvocationStdout):  # e.g. pytest replaced it for a test
        sys.stdout = InvocationStdout(sys.stdout)
    tokens = (_environment.set(environment), _stdout.set(stdout), _buffers.set({}))
    hiding = _hidden.set(hidden - set(environment))
    try:
        yield
    finally:
        _hidden.reset(hiding)
        _buffers.reset(tokens[2])
        _stdout.reset(tokens[1])
        _environment.reset(tokens[0])
