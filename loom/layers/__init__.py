"""loom.layers: the Layer base class and every built-in layer."""

from loom.layers.activation import ELU as ELU
from loom.layers.activation import Activation as Activation
from loom.layers.activation import LeakyReLU as LeakyReLU
from loom.layers.activation import PReLU as PReLU
from loom.layers.activation import ReLU as ReLU
from loom.layers.activation import Softmax as Softmax
from loom.layers.activation import ThresholdedReLU as ThresholdedReLU
from loom.layers.adaptive_pooling import AdaptiveAveragePooling1D as AdaptiveAveragePooling1D
from loom.layers.adaptive_pooling import AdaptiveAveragePooling2D as AdaptiveAveragePooling2D
from loom.layers.adaptive_pooling import AdaptiveAveragePooling3D as AdaptiveAveragePooling3D
from loom.layers.adaptive_pooling import AdaptiveMaxPooling1D as AdaptiveMaxPooling1D
from loom.layers.adaptive_pooling import AdaptiveMaxPooling2D as AdaptiveMaxPooling2D
from loom.layers.adaptive_pooling import AdaptiveMaxPooling3D as AdaptiveMaxPooling3D
from loom.layers.attention.additive_attention import AdditiveAttention as AdditiveAttention
from loom.layers.attention.attention import Attention as Attention
from loom.layers.attention.grouped_query_attention import GroupQueryAttention as GroupQueryAttention
from loom.layers.attention.multi_head_attention import MultiHeadAttention as MultiHeadAttention
from loom.layers.convolutional import Conv1D as Conv1D
from loom.layers.convolutional import Conv1DTranspose as Conv1DTranspose
from loom.layers.convolutional import Conv2D as Conv2D
from loom.layers.convolutional import Conv2DTranspose as Conv2DTranspose
from loom.layers.convolutional import Conv3D as Conv3D
from loom.layers.convolutional import Conv3DTranspose as Conv3DTranspose
from loom.layers.convolutional import Convolution1D as Convolution1D
from loom.layers.convolutional import Convolution1DTranspose as Convolution1DTranspose
from loom.layers.convolutional import Convolution2D as Convolution2D
from loom.layers.convolutional import Convolution2DTranspose as Convolution2DTranspose
from loom.layers.convolutional import Convolution3D as Convolution3D
from loom.layers.convolutional import Convolution3DTranspose as Convolution3DTranspose
from loom.layers.convolutional import DepthwiseConv1D as DepthwiseConv1D
from loom.layers.convolutional import DepthwiseConv2D as DepthwiseConv2D
from loom.layers.convolutional import SeparableConv1D as SeparableConv1D
from loom.layers.convolutional import SeparableConv2D as SeparableConv2D
from loom.layers.convolutional import SeparableConvolution1D as SeparableConvolution1D
from loom.layers.convolutional import SeparableConvolution2D as SeparableConvolution2D
from loom.layers.core import Dense as Dense
from loom.layers.core import Identity as Identity
from loom.layers.core import Lambda as Lambda
from loom.layers.discretization import Discretization as Discretization
from loom.layers.einsum_dense import EinsumDense as EinsumDense
from loom.layers.embedding import Embedding as Embedding
from loom.layers.hashing import HashedCrossing as HashedCrossing
from loom.layers.hashing import Hashing as Hashing
from loom.layers.image_preprocessing import AugMix as AugMix
from loom.layers.image_preprocessing import AutoContrast as AutoContrast
from loom.layers.image_preprocessing import CenterCrop as CenterCrop
from loom.layers.image_preprocessing import (
    ContrastLimitedAdaptiveHistogramEqualization as ContrastLimitedAdaptiveHistogramEqualization,
)
from loom.layers.image_preprocessing import CutMix as CutMix
from loom.layers.image_preprocessing import Equalization as Equalization
from loom.layers.image_preprocessing import MaxNumBoundingBoxes as MaxNumBoundingBoxes
from loom.layers.image_preprocessing import MixUp as MixUp
from loom.layers.image_preprocessing import Pipeline as Pipeline
from loom.layers.image_preprocessing import RandAugment as RandAugment
from loom.layers.image_preprocessing import RandomBrightness as RandomBrightness
from loom.layers.image_preprocessing import RandomColorDegeneration as RandomColorDegeneration
from loom.layers.image_preprocessing import RandomColorJitter as RandomColorJitter
from loom.layers.image_preprocessing import RandomContrast as RandomContrast
from loom.layers.image_preprocessing import RandomCrop as RandomCrop
from loom.layers.image_preprocessing import RandomElasticTransform as RandomElasticTransform
from loom.layers.image_preprocessing import RandomErasing as RandomErasing
from loom.layers.image_preprocessing import RandomFlip as RandomFlip
from loom.layers.image_preprocessing import RandomGaussianBlur as RandomGaussianBlur
from loom.layers.image_preprocessing import RandomGrayscale as RandomGrayscale
from loom.layers.image_preprocessing import RandomHue as RandomHue
from loom.layers.image_preprocessing import RandomInvert as RandomInvert
from loom.layers.image_preprocessing import RandomPerspective as RandomPerspective
from loom.layers.image_preprocessing import RandomPosterization as RandomPosterization
from loom.layers.image_preprocessing import RandomRotation as RandomRotation
from loom.layers.image_preprocessing import RandomSaturation as RandomSaturation
from loom.layers.image_preprocessing import RandomSharpness as RandomSharpness
from loom.layers.image_preprocessing import RandomShear as RandomShear
from loom.layers.image_preprocessing import RandomTranslation as RandomTranslation
from loom.layers.image_preprocessing import RandomZoom as RandomZoom
from loom.layers.image_preprocessing import Resizing as Resizing
from loom.layers.image_preprocessing import Solarization as Solarization
from loom.layers.index_lookup import IntegerLookup as IntegerLookup
from loom.layers.index_lookup import StringLookup as StringLookup
from loom.layers.input_layer import Input as Input
from loom.layers.input_layer import InputLayer as InputLayer
from loom.layers.input_spec import InputSpec as InputSpec
from loom.layers.jax_layer import FlaxLayer as FlaxLayer
from loom.layers.jax_layer import JaxLayer as JaxLayer
from loom.layers.layer import Layer as Layer
from loom.layers.masking import Masking as Masking
from loom.layers.mel_spectrogram import MelSpectrogram as MelSpectrogram
from loom.layers.merging import Add as Add
from loom.layers.merging import Average as Average
from loom.layers.merging import Concatenate as Concatenate
from loom.layers.merging import Dot as Dot
from loom.layers.merging import Maximum as Maximum
from loom.layers.merging import Minimum as Minimum
from loom.layers.merging import Multiply as Multiply
from loom.layers.merging import Subtract as Subtract
from loom.layers.merging import add as add
from loom.layers.merging import average as average
from loom.layers.merging import concatenate as concatenate
from loom.layers.merging import dot as dot
from loom.layers.merging import maximum as maximum
from loom.layers.merging import minimum as minimum
from loom.layers.merging import multiply as multiply
from loom.layers.merging import subtract as subtract
from loom.layers.mixing import ConvexCombination as ConvexCombination
from loom.layers.mixing import ElementwiseScale as ElementwiseScale
from loom.layers.noise import AlphaDropout as AlphaDropout
from loom.layers.noise import GaussianDropout as GaussianDropout
from loom.layers.noise import GaussianNoise as GaussianNoise
from loom.layers.noise import SpatialDropout1D as SpatialDropout1D
from loom.layers.noise import SpatialDropout2D as SpatialDropout2D
from loom.layers.noise import SpatialDropout3D as SpatialDropout3D
from loom.layers.normalization import BatchNormalization as BatchNormalization
from loom.layers.normalization import GroupNormalization as GroupNormalization
from loom.layers.normalization import LayerNormalization as LayerNormalization
from loom.layers.normalization import RMSNormalization as RMSNormalization
from loom.layers.normalization import UnitNormalization as UnitNormalization
from loom.layers.other_frameworks import TFSMLayer as TFSMLayer
from loom.layers.other_frameworks import TorchModuleWrapper as TorchModuleWrapper
from loom.layers.pooling import AveragePooling1D as AveragePooling1D
from loom.layers.pooling import AveragePooling2D as AveragePooling2D
from loom.layers.pooling import AveragePooling3D as AveragePooling3D
from loom.layers.pooling import AvgPool1D as AvgPool1D
from loom.layers.pooling import AvgPool2D as AvgPool2D
from loom.layers.pooling import AvgPool3D as AvgPool3D
from loom.layers.pooling import GlobalAveragePooling1D as GlobalAveragePooling1D
from loom.layers.pooling import GlobalAveragePooling2D as GlobalAveragePooling2D
from loom.layers.pooling import GlobalAveragePooling3D as GlobalAveragePooling3D
from loom.layers.pooling import GlobalAvgPool1D as GlobalAvgPool1D
from loom.layers.pooling import GlobalAvgPool2D as GlobalAvgPool2D
from loom.layers.pooling import GlobalAvgPool3D as GlobalAvgPool3D
from loom.layers.pooling import GlobalMaxPool1D as GlobalMaxPool1D
from loom.layers.pooling import GlobalMaxPool2D as GlobalMaxPool2D
from loom.layers.pooling import GlobalMaxPool3D as GlobalMaxPool3D
from loom.layers.pooling import GlobalMaxPooling1D as GlobalMaxPooling1D
from loom.layers.pooling import GlobalMaxPooling2D as GlobalMaxPooling2D
from loom.layers.pooling import GlobalMaxPooling3D as GlobalMaxPooling3D
from loom.layers.pooling import MaxPool1D as MaxPool1D
from loom.layers.pooling import MaxPool2D as MaxPool2D
from loom.layers.pooling import MaxPool3D as MaxPool3D
from loom.layers.pooling import MaxPooling1D as MaxPooling1D
from loom.layers.pooling import MaxPooling2D as MaxPooling2D
from loom.layers.pooling import MaxPooling3D as MaxPooling3D
from loom.layers.preprocessing import CategoryEncoding as CategoryEncoding
from loom.layers.preprocessing import Normalization as Normalization
from loom.layers.preprocessing import Rescaling as Rescaling
from loom.layers.recurrent.bidirectional import Bidirectional as Bidirectional
from loom.layers.recurrent.conv_lstm import ConvLSTM1D as ConvLSTM1D
from loom.layers.recurrent.conv_lstm import ConvLSTM2D as ConvLSTM2D
from loom.layers.recurrent.conv_lstm import ConvLSTM3D as ConvLSTM3D
from loom.layers.recurrent.gru import GRU as GRU
from loom.layers.recurrent.gru import GRUCell as GRUCell
from loom.layers.recurrent.lstm import LSTM as LSTM
from loom.layers.recurrent.lstm import LSTMCell as LSTMCell
from loom.layers.recurrent.rnn import RNN as RNN
from loom.layers.recurrent.simple_rnn import SimpleRNN as SimpleRNN
from loom.layers.recurrent.simple_rnn import SimpleRNNCell as SimpleRNNCell
from loom.layers.recurrent.stacked_cells import StackedRNNCells as StackedRNNCells
from loom.layers.recurrent.time_distributed import TimeDistributed as TimeDistributed
from loom.layers.regularization import ActivityRegularization as ActivityRegularization
from loom.layers.regularization import Dropout as Dropout
from loom.layers.reshaping import Flatten as Flatten
from loom.layers.reshaping import Permute as Permute
from loom.layers.reshaping import RepeatVector as RepeatVector
from loom.layers.reshaping import Reshape as Reshape
from loom.layers.reversible_embedding import ReversibleEmbedding as ReversibleEmbedding
from loom.layers.spatial_reshaping import Cropping1D as Cropping1D
from loom.layers.spatial_reshaping import Cropping2D as Cropping2D
from loom.layers.spatial_reshaping import Cropping3D as Cropping3D
from loom.layers.spatial_reshaping import UpSampling1D as UpSampling1D
from loom.layers.spatial_reshaping import UpSampling2D as UpSampling2D
from loom.layers.spatial_reshaping import UpSampling3D as UpSampling3D
from loom.layers.spatial_reshaping import ZeroPadding1D as ZeroPadding1D
from loom.layers.spatial_reshaping import ZeroPadding2D as ZeroPadding2D
from loom.layers.spatial_reshaping import ZeroPadding3D as ZeroPadding3D
from loom.layers.spectral_normalization import SpectralNormalization as SpectralNormalization
from loom.layers.stft_spectrogram import STFTSpectrogram as STFTSpectrogram
from loom.layers.text_vectorization import TextVectorization as TextVectorization
from loom.layers.wrapper import Wrapper as Wrapper


# Keras's keras.layers.serialize / deserialize. Their home is loom.saving (which sits above
# loom.layers in the import graph and finds classes through its registry only), reached here
# at call time; these two functions are the one place loom.layers refers to it.
def serialize(layer) -> dict:
    """A layer's config as Keras writes it: ``{"module", "class_name", "config", "registered_name"}``.

    Args:
        layer: the layer to describe.

    Returns:
        A JSON-ready dict (with ``"build_config"`` once the layer is built) that
        ``deserialize`` turns back into an equal layer.

    Example:
        >>> serialize(Dense(3, name="d"))["config"]["units"]
        3
    """
    from loom.saving import serialization

    return serialization.serialize_layer(layer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Layer:
    """The layer ``serialize``'s dict describes (Keras 3's layer configs work too).

    Classes come from loom's built-ins, the registry
    (``loom.saving.register_keras_serializable``) and ``custom_objects`` only.
    Called from a ``from_config`` while a model loads, it uses that load's
    custom objects, safe mode and stored arrays.

    Args:
        config: a dict with ``class_name`` and ``config``.
        custom_objects: ``{name: class}`` for layers that are neither built in nor registered.

    Raises:
        ValueError: the config describes something other than a layer.
        loom.saving.SavingError: a subclass naming the problem (an unknown class, a malformed config).
    """
    from loom.saving import serialization

    return serialization.deserialize_layer(config, custom_objects)
