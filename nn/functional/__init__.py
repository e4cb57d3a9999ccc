"""nn.functional (import as F): the stateless form of every layer, activation and loss.

One module per family; each defines its ops (fused ops as autograd Ops with forward and
backward side by side) and the public functions re-exported here.
"""
from .activation import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .resize import *  # noqa: F401,F403
