"""Metrics: running statistics of a model's predictions, mirroring ``keras.metrics``."""

# Keras exports these loss functions under keras.metrics too; their home is loom.losses.
from loom.losses import mean_absolute_error as mean_absolute_error
from loom.losses import mean_absolute_percentage_error as mean_absolute_percentage_error
from loom.losses import mean_squared_error as mean_squared_error
from loom.losses import mean_squared_logarithmic_error as mean_squared_logarithmic_error
from loom.metrics.accuracy_metrics import Accuracy as Accuracy
from loom.metrics.accuracy_metrics import BinaryAccuracy as BinaryAccuracy
from loom.metrics.accuracy_metrics import CategoricalAccuracy as CategoricalAccuracy
from loom.metrics.accuracy_metrics import SparseCategoricalAccuracy as SparseCategoricalAccuracy
from loom.metrics.accuracy_metrics import SparseTopKCategoricalAccuracy as SparseTopKCategoricalAccuracy
from loom.metrics.accuracy_metrics import TopKCategoricalAccuracy as TopKCategoricalAccuracy
from loom.metrics.accuracy_metrics import binary_accuracy as binary_accuracy
from loom.metrics.accuracy_metrics import categorical_accuracy as categorical_accuracy
from loom.metrics.accuracy_metrics import sparse_categorical_accuracy as sparse_categorical_accuracy
from loom.metrics.accuracy_metrics import sparse_top_k_categorical_accuracy as sparse_top_k_categorical_accuracy
from loom.metrics.accuracy_metrics import top_k_categorical_accuracy as top_k_categorical_accuracy
from loom.metrics.auc import AUC as AUC
from loom.metrics.confusion_metrics import FalseNegatives as FalseNegatives
from loom.metrics.confusion_metrics import FalsePositives as FalsePositives
from loom.metrics.confusion_metrics import Precision as Precision
from loom.metrics.confusion_metrics import Recall as Recall
from loom.metrics.confusion_metrics import TrueNegatives as TrueNegatives
from loom.metrics.confusion_metrics import TruePositives as TruePositives
from loom.metrics.lookup import deserialize as deserialize
from loom.metrics.lookup import get as get
from loom.metrics.lookup import resolve_accuracy as resolve_accuracy
from loom.metrics.lookup import serialize as serialize
from loom.metrics.metric import Metric as Metric
from loom.metrics.reduction_metrics import Mean as Mean
from loom.metrics.reduction_metrics import MeanMetricWrapper as MeanMetricWrapper
from loom.metrics.reduction_metrics import Sum as Sum
from loom.metrics.regression_metrics import MeanAbsoluteError as MeanAbsoluteError
from loom.metrics.regression_metrics import MeanAbsolutePercentageError as MeanAbsolutePercentageError
from loom.metrics.regression_metrics import MeanSquaredError as MeanSquaredError
from loom.metrics.regression_metrics import MeanSquaredLogarithmicError as MeanSquaredLogarithmicError
from loom.metrics.regression_metrics import RootMeanSquaredError as RootMeanSquaredError
