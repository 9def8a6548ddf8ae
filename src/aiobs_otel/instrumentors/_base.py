"""What the four provider instrumentors share: targets to wrap, telemetry setup."""

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

from .._version import __version__
from ._config import capture_content_from_env
from ._lifecycle import ApiRecorder, Telemetry, Wrapper, async_wrapper, sync_wrapper
from ._metrics import GenAIMetrics

logger = logging.getLogger("aiobs_otel")


@dataclass(frozen=True)
class Target:
    """A method to wrap: ``module``, ``Class.method``, and whether it is async."""

    module: str
    method: str
    is_async: bool = False


class ProviderInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """A provider API instrumentor: subclasses name their scope, the SDK range
    they support, the methods to wrap and the recorder that reads them.

    ``instrument()`` accepts ``tracer_provider``, ``meter_provider`` and
    ``capture_content`` (default: the standard environment variable, on).
    """

    scope: str = "aiobs_otel"
    instruments: tuple[str, ...] = ()
    targets: tuple[Target, ...] = ()
    # Methods that are not provider calls but that the API still needs to
    # watch (e.g. polling a long-running operation), with wrappers of their own.
    extra_targets: tuple[Target, ...] = ()

    def recorder(self) -> ApiRecorder:
        raise NotImplementedError

    def extra_wrapper(self, target: Target, telemetry: Telemetry) -> Wrapper:
        raise NotImplementedError

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.instruments

    def _instrument(self, **kwargs: Any) -> None:
        capture = kwargs.get("capture_content")
        telemetry = Telemetry(
            tracer=trace.get_tracer(self.scope, __version__, kwargs.get("tracer_provider")),
            metrics=GenAIMetrics(
                metrics.get_meter(self.scope, __version__, kwargs.get("meter_provider"))
            ),
            capture_content=capture_content_from_env() if capture is None else bool(capture),
        )
        recorder = self.recorder()
        wrappers = [
            (t, (async_wrapper if t.is_async else sync_wrapper)(telemetry, recorder))
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
