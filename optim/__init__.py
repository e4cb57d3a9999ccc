"""tapegrad.optim: optimizers and learning-rate schedules with PyTorch's update rules.

    >>> import optim
    >>> opt = optim.Adam(model.parameters(), lr=1e-3)
    >>> for x, y in data:
    ...     opt.zero_grad()
    ...     loss_fn(model(x), y).backward()
    ...     opt.step()

Every rule (SGD, Adagrad, RMSprop, Adam, AdamW, Adadelta, Adamax, NAdam, RAdam, ASGD,
Rprop, LBFGS, Adafactor) is PyTorch's documented algorithm, applied in place on the
parameter arrays with NumPy, so trajectories agree with PyTorch's to float round-off.
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adam_variants import Adamax, NAdam, RAdam
from .asgd import ASGD
from .lbfgs import LBFGS
from .optimizer import Optimizer, flatten_state_dict, unflatten_state_dict
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "lr_scheduler",
           "flatten_state_dict", "unflatten_state_dict",
           "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD", "Rprop", "LBFGS",
           "Adafactor"]
