"""convcli: convolution and its look-alikes (correlate, elementwise-sum, dot), with the work shown."""

from .errors import ConvcliError, ParseError, ShapeError, UsageError
from .explain import compare
from .model import Boundary, Format, Kind, Mode, Op, OpOptions, Result
from .ops import convolve, correlate, dot, elementwise_sum, rot180
from .parsing import read_matrix

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "ConvcliError",
    "ParseError",
    "ShapeError",
    "UsageError",
    "Boundary",
    "Format",
    "Kind",
    "Mode",
    "Op",
    "OpOptions",
    "Result",
    "compare",
    "convolve",
    "correlate",
    "dot",
    "elementwise_sum",
    "read_matrix",
    "rot180",
]
