"""tapegrad.nn: modules, layers, activations, losses, init, saving and data loading,
built only from autograd ops, with PyTorch's names, layouts and semantics."""
from . import functional  # noqa: F401
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .module import Module, Parameter
from . import data, init, utils  # noqa: F401
from .layers import (BatchNorm1d, BatchNorm2d, BatchNorm3d, Bilinear, Dense, Dropout,
                     Embedding, EmbeddingBag, Flatten, GroupNorm, InstanceNorm1d,
                     InstanceNorm2d, InstanceNorm3d, LayerNorm, Linear, LocalResponseNorm,
                     RMSNorm, Unflatten)
from .attention import MultiheadAttention
from .resize import (AlphaDropout, ChannelShuffle, CircularPad1d, CircularPad2d, CircularPad3d,
                     ConstantPad1d, ConstantPad2d, ConstantPad3d, Dropout1d, Dropout2d,
                     Dropout3d, FeatureAlphaDropout, PixelShuffle, PixelUnshuffle,
                     ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d,
                     ReplicationPad2d, ReplicationPad3d, Upsample, UpsamplingBilinear2d,
                     UpsamplingNearest2d, ZeroPad1d, ZeroPad2d, ZeroPad3d)
from .serialization import load, save
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .conv import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d,
                   Fold, Unfold)
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool1d,
                      AdaptiveMaxPool2d, AdaptiveMaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d,
                      LPPool1d, LPPool2d, LPPool3d, MaxPool1d, MaxPool2d, MaxPool3d,
                      MaxUnpool1d, MaxUnpool2d, MaxUnpool3d)
from .activation import (CELU, ELU, GELU, GLU, ISRU, SELU, ArcTan, BinaryStep, Hardshrink,
                         Hardsigmoid, Hardswish, Hardtanh, Identity, LeakyReLU, LogSigmoid,
                         LogSoftmax, Mish, PReLU, ReLU, ReLU6, RReLU, Sigmoid, SiLU, Softmax,
                         Softmax2d, Softmin, Softplus, Softshrink, Softsign, Tanh, Tanhshrink,
                         Threshold)
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, CTCLoss,
                   GaussianNLLLoss, HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss,
                   MarginRankingLoss, MSELoss, MultiLabelMarginLoss, MultiLabelSoftMarginLoss,
                   MultiMarginLoss, NLLLoss, PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss,
                   TripletMarginLoss, TripletMarginWithDistanceLoss)
from .distance import CosineSimilarity, PairwiseDistance
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,
                          TransformerEncoder, TransformerEncoderLayer)

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
           "ParameterDict", "functional"]
__all__ += ["Linear", "Dense", "Dropout", "LayerNorm", "BatchNorm1d", "BatchNorm2d", "Embedding",
            "Flatten", "Unflatten", "GroupNorm", "RMSNorm", "InstanceNorm1d", "InstanceNorm2d",
            "MultiheadAttention", "init", "utils", "data", "save", "load"]
__all__ += ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle",
            "PixelUnshuffle", "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d",
            "ReflectionPad1d", "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d",
            "CircularPad1d", "CircularPad2d", "Dropout1d", "Dropout2d"]
__all__ += ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]
__all__ += ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d",
            "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d",
            "AdaptiveMaxPool2d"]
__all__ += ["ReLU", "LeakyReLU", "PReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softmax",
            "LogSoftmax", "Softsign", "Softplus", "Identity", "ArcTan", "ISRU", "BinaryStep",
            "ReLU6", "Hardtanh", "Hardsigmoid", "Hardswish", "SELU", "CELU", "Mish", "LogSigmoid",
            "Softmin", "GLU", "Threshold", "Softshrink", "Hardshrink", "Tanhshrink"]
__all__ += ["MSELoss", "L1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
            "BCEWithLogitsLoss", "SmoothL1Loss", "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss",
            "SoftMarginLoss", "MultiLabelSoftMarginLoss", "HingeEmbeddingLoss",
            "MarginRankingLoss", "CosineEmbeddingLoss", "TripletMarginLoss"]
__all__ += ["PairwiseDistance", "CosineSimilarity"]
__all__ += ["TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
            "TransformerDecoder", "Transformer"]
__all__ += ["RReLU", "Softmax2d", "MultiMarginLoss", "MultiLabelMarginLoss",
            "TripletMarginWithDistanceLoss", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]
__all__ += ["Unfold", "Fold", "LPPool1d", "LPPool2d", "MaxUnpool1d", "MaxUnpool2d",
            "ChannelShuffle"]
__all__ += ["ZeroPad3d", "ConstantPad3d", "ReflectionPad3d", "ReplicationPad3d",
            "CircularPad3d"]
__all__ += ["Bilinear", "LocalResponseNorm", "EmbeddingBag", "CTCLoss"]
__all__ += ["Conv3d", "ConvTranspose3d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d",
            "AdaptiveMaxPool3d", "LPPool3d", "MaxUnpool3d", "BatchNorm3d", "InstanceNorm3d"]
