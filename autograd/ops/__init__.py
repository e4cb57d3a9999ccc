"""The built-in ops, one module per family.  Importing this package registers them all
(public functions in `graph.REGISTRY`, methods and operators on `Tensor`)."""
from . import arith, convert, elementwise, index, inplace, linalg, reduce, shape  # noqa: F401
from . import softmax, special  # noqa: F401  (softmax family, erf)
from . import decomp  # noqa: F401  (decompositions and solvers: det, inverse, qr, ...)
from . import interop  # noqa: F401  (last: it maps NumPy's ufuncs to the ops above)
