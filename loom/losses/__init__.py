"""loom.losses: Keras's losses, as classes (``MeanSquaredError()``) and functions (``mean_squared_error``)."""

from loom.losses.crossentropy import BinaryCrossentropy as BinaryCrossentropy
from loom.losses.crossentropy import BinaryFocalCrossentropy as BinaryFocalCrossentropy
from loom.losses.crossentropy import CategoricalCrossentropy as CategoricalCrossentropy
from loom.losses.crossentropy import CategoricalFocalCrossentropy as CategoricalFocalCrossentropy
from loom.losses.crossentropy import SparseCategoricalCrossentropy as SparseCategoricalCrossentropy
from loom.losses.crossentropy import binary_crossentropy as binary_crossentropy
from loom.losses.crossentropy import binary_focal_crossentropy as binary_focal_crossentropy
from loom.losses.crossentropy import categorical_crossentropy as categorical_crossentropy
from loom.losses.crossentropy import categorical_focal_crossentropy as categorical_focal_crossentropy
from loom.losses.crossentropy import sparse_categorical_crossentropy as sparse_categorical_crossentropy
from loom.losses.circle import Circle as Circle
from loom.losses.circle import circle as circle
from loom.losses.ctc import CTC as CTC
from loom.losses.ctc import ctc as ctc
from loom.losses.generalized_cross_entropy import (
    CategoricalGeneralizedCrossEntropy as CategoricalGeneralizedCrossEntropy,
)
from loom.losses.generalized_cross_entropy import (
    categorical_generalized_cross_entropy as categorical_generalized_cross_entropy,
)
from loom.losses.hinge import CategoricalHinge as CategoricalHinge
from loom.losses.hinge import Hinge as Hinge
from loom.losses.hinge import SquaredHinge as SquaredHinge
from loom.losses.hinge import categorical_hinge as categorical_hinge
from loom.losses.hinge import hinge as hinge
from loom.losses.hinge import squared_hinge as squared_hinge
from loom.losses.loss import Loss as Loss
from loom.losses.loss import LossFunctionWrapper as LossFunctionWrapper
from loom.losses.probabilistic import KLDivergence as KLDivergence
from loom.losses.probabilistic import Poisson as Poisson
from loom.losses.probabilistic import kl_divergence as kl_divergence
from loom.losses.probabilistic import poisson as poisson
from loom.losses.regression import CosineSimilarity as CosineSimilarity
from loom.losses.regression import Huber as Huber
from loom.losses.regression import LogCosh as LogCosh
from loom.losses.regression import MeanAbsoluteError as MeanAbsoluteError
from loom.losses.regression import MeanAbsolutePercentageError as MeanAbsolutePercentageError
from loom.losses.regression import MeanSquaredError as MeanSquaredError
from loom.losses.regression import MeanSquaredLogarithmicError as MeanSquaredLogarithmicError
from loom.losses.regression import cosine_similarity as cosine_similarity
from loom.losses.regression import huber as huber
from loom.losses.regression import log_cosh as log_cosh
from loom.losses.regression import mean_absolute_error as mean_absolute_error
from loom.losses.regression import mean_absolute_percentage_error as mean_absolute_percentage_error
from loom.losses.regression import mean_squared_error as mean_squared_error
from loom.losses.regression import mean_squared_logarithmic_error as mean_squared_logarithmic_error
from loom.losses.segmentation import Dice as Dice
from loom.losses.segmentation import Tversky as Tversky
from loom.losses.segmentation import dice as dice
from loom.losses.segmentation import tversky as tversky
from loom.losses.serialization import deserialize as deserialize
from loom.losses.serialization import get as get
from loom.losses.serialization import serialize as serialize
