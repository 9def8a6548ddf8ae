"""What every provider instrumentor shares: targets to wrap, telemetry setup.

An API module subclasses ``ProviderInstrumentor`` and declares its scope, the
SDK range it supports, the packages of the SDK's frames (for the callsite),
the methods to wrap and its adapter; ``instrument()`` does the rest.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import wrapt
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)
from opentelemetry.instrumentation.utils import unwrap

from ..callsite import register_library_packages
from ..version import __version__
from .config import ContentSettings, content_settings_from_env
from .lifecycle import Adapter, Telemetry, Wrapper, async_wrapper, sync_wrapper
from .metrics import GenAIMetrics

logger = logging.getLogger("aiobs_otel")


@dataclass(frozen=True)
class Target:
    """A method to wrap: ``module``, ``Class.method``, and whether it is async."""

    module: str
    method: str
    is_async: bool = False


class ProviderInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """A provider API instrumentor.

    ``instrument()`` accepts ``tracer_provider``, ``meter_provider``,
    ``logger_provider`` and ``capture_content`` (default: the standard
    environment variable; see ``config``).
    """

    scope: str = "aiobs_otel"
    instruments: tuple[str, ...] = ()
    # Packages whose frames are the SDK's, not the user's (for code.* attributes).
    sdk_packages: tuple[str, ...] = ()
    targets: tuple[Target, ...] = ()
    # Methods that are not provider calls but that the API still needs to
    # watch (e.g. polling a long-running operation), with wrappers of their own.
    extra_targets: tuple[Target, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Known as soon as the API module is imported: the callsite skips these frames.
        super().__init_subclass__(**kwargs)
        register_library_packages(cls.sdk_packages)

    def adapter(self) -> Adapter:
        raise NotImplementedError

    def extra_wrapper(self, target: Target, telemetry: Telemetry) -> Wrapper:
        raise NotImplementedError

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.instruments

    def _telemetry(self, **kwargs: Any) -> Telemetry:
        capture = kwargs.get("capture_content")
        content = (
            content_settings_from_env()
            if capture is None
            else ContentSettings.from_flag(bool(capture))
        )
        event_logger = None
        if content.emit_event:
            from opentelemetry._logs import get_logger

            event_logger = get_logger(self.scope, __version__, kwargs.get("logger_provider"))
        return Telemetry(
            tracer=trace.get_tracer(self.scope, __version__, kwargs.get("tracer_provider")),
            metrics=GenAIMetrics(
                metrics.get_meter(self.scope, __version__, kwargs.get("meter_provider"))
            ),
            content=content,
            event_logger=event_logger,
        )

    def _instrument(self, **kwargs: Any) -> None:
        telemetry = self._telemetry(**kwargs)
        adapter = self.adapter()
        wrappers = [
            (t, (async_wrapper if t.is_async else sync_wrapper)(telemetry, adapter))
            for t in self.targets
        ]
        wrappers += [(t, self.extra_wrapper(t, telemetry)) for t in self.extra_targets]
        for target, wrapper in wrappers:
            try:
                wrapt.wrap_function_wrapper(target.module, target.method, wrapper)
            except (ImportError, AttributeError):
                # An older SDK release without this method: nothing to wrap.
                logger.debug("aiobs-otel: %s.%s not found; not wrapped", target.module,
                             target.method)  # fmt: skip

    def _uninstrument(self, **kwargs: Any) -> None:
        for target in self.targets + self.extra_targets:
            owner_name, _, method = target.method.rpartition(".")
            try:
                owner: Any = importlib.import_module(target.module)
                for part in owner_name.split(".") if owner_name else ():
                    owner = getattr(owner, part)
            except (ImportError, AttributeError):
                continue
            unwrap(owner, method)
