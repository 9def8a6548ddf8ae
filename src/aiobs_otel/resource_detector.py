"""``aiobs_labels``: session labels as Resource attributes.

Enabled with ``OTEL_EXPERIMENTAL_RESOURCE_DETECTORS=aiobs_labels`` (the
aiobs_otel distro sets that default). It reports the labels a session would
start with when none are given explicitly: the system labels and
``AIOBS_LABEL_<KEY>=value``, as ``aiobs.label.<key>``. Labels changed later
in the process reach backends on spans instead (see ``SessionSpanProcessor``).
"""

from __future__ import annotations

from opentelemetry.sdk.resources import Resource, ResourceDetector

from . import labels as label_rules
from .pipeline import label_attributes


class AiobsLabelsResourceDetector(ResourceDetector):
    def detect(self) -> Resource:
        # Resource(...) rather than Resource.create(): create() runs the
        # detectors, this one included.
        return Resource(label_attributes(label_rules.initial_labels(None)))
