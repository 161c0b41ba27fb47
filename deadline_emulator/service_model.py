"""botocore's own service models, loaded once, with small shape look-up helpers.

The emulator's routes, input parsing, output serialisation and validation are all derived
from these models, so the emulator speaks whatever the installed botocore speaks.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import botocore.loaders
from botocore import xform_name

DEADLINE = "deadline"
DEADLINE_API_VERSION = "2023-10-12"

_lock = threading.Lock()


class ServiceModel:
    """A thin read-only view of a botocore ``service-2.json`` model (plain dicts)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.metadata: dict[str, Any] = raw["metadata"]
        self.operations: dict[str, dict[str, Any]] = raw["operations"]
        self.shapes: dict[str, dict[str, Any]] = raw["shapes"]

    @property
    def service_id(self) -> str:
        return self.metadata["serviceId"]

    @property
    def protocol(self) -> str:
        return self.metadata["protocol"]

    def shape(self, name: str) -> dict[str, Any]:
        return self.shapes[name]

    def operation(self, name: str) -> dict[str, Any]:
        return self.operations[name]

    def input_shape_name(self, operation: str) -> str | None:
        return self.operations[operation].get("input", {}).get("shape")

    def output_shape_name(self, operation: str) -> str | None:
        return self.operations[operation].get("output", {}).get("shape")

    def error_shape(self, code: str) -> dict[str, Any] | None:
        """The modelled error shape named ``code``, or None when the model has none."""
        shape = self.shapes.get(code)
        if shape is not None and shape.get("exception"):
            return shape
        return None

    def contains(self, shape_name: str, shape_type: str) -> bool:
        """Whether ``shape_name`` has a member of ``shape_type`` anywhere below it."""
        return _contains(self, shape_name, shape_type)


def _contains(model: ServiceModel, shape_name: str, shape_type: str) -> bool:
    cache: dict[tuple[str, str], bool] = model.__dict__.setdefault("_contains_cache", {})
    key = (shape_name, shape_type)
    found = cache.get(key)
    if found is None:
        found = cache[key] = _search(model, shape_name, shape_type, set())
    return found


def _search(model: ServiceModel, shape_name: str, shape_type: str, seen: set[str]) -> bool:
    if shape_name in seen:
        return False  # recursive shapes: this path adds nothing new
    seen.add(shape_name)
    shape = model.shapes[shape_name]
    kind = shape["type"]
    if kind == shape_type:
        return True
    if kind == "structure":
        children = [member["shape"] for member in shape["members"].values()]
    elif kind == "list":
        children = [shape["member"]["shape"]]
    elif kind == "map":
        children = [shape["key"]["shape"], shape["value"]["shape"]]
    else:
        children = []
    return any(_search(model, child, shape_type, seen) for child in children)


@functools.cache
def load_service_model(service_name: str, api_version: str | None = None) -> ServiceModel:
    """Load (once per process) botocore's ``service-2`` model for ``service_name``."""
    with _lock:
        loader = botocore.loaders.create_loader()
        raw = loader.load_service_model(service_name, "service-2", api_version)
    return ServiceModel(raw)


def deadline_model() -> ServiceModel:
    """The Deadline Cloud model (API version 2023-10-12)."""
    return load_service_model(DEADLINE, DEADLINE_API_VERSION)


@functools.cache
def snake_case(name: str) -> str:
    """``GetTask`` -> ``get_task``, ``queueIds`` -> ``queue_ids`` (botocore's own rule)."""
    return xform_name(name)
