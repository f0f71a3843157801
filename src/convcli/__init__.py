"""convcli: convolution and its look-alikes (correlate, elementwise-sum, dot), with the work shown.

The public names below load on first use, so that ``convcli --help`` and the command line import
only the modules a command needs (start-up time, README's "Speed").
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "ConvcliError": "errors",
    "ParseError": "errors",
    "ShapeError": "errors",
    "UsageError": "errors",
    "BoundaryRule": "model",
    "Format": "model",
    "Kind": "model",
    "Mode": "model",
    "Op": "model",
    "OpOptions": "model",
    "Result": "model",
    "compare": "comparison",
    "convolve": "ops",
    "correlate": "ops",
    "dot": "ops",
    "elementwise_sum": "ops",
    "rot180": "geometry",
    "read_matrix": "parsing",
    "check": "diagnose",
    "conv_transpose": "transpose",
    "pool": "pool",
    "PoolOptions": "pool_geometry",
    "grad": "grad",
    "GradOf": "model",
    "GradResult": "model",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'convcli' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
