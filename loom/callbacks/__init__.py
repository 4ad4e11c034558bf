"""Callbacks: hooks into fit, evaluate and predict (early stopping, logging, schedules)."""

from loom.callbacks.backup_and_restore import BackupAndRestore as BackupAndRestore
from loom.callbacks.callback import Callback as Callback
from loom.callbacks.callback_list import CallbackList as CallbackList
from loom.callbacks.csv_logger import CSVLogger as CSVLogger
from loom.callbacks.early_stopping import EarlyStopping as EarlyStopping
from loom.callbacks.history import History as History
from loom.callbacks.lambda_callback import LambdaCallback as LambdaCallback
from loom.callbacks.learning_rate_scheduler import LearningRateScheduler as LearningRateScheduler
from loom.callbacks.model_checkpoint import ModelCheckpoint as ModelCheckpoint
from loom.callbacks.progbar_logger import ProgbarLogger as ProgbarLogger
from loom.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau as ReduceLROnPlateau
from loom.callbacks.remote_monitor import RemoteMonitor as RemoteMonitor
from loom.callbacks.swap_ema_weights import SwapEMAWeights as SwapEMAWeights
from loom.callbacks.tensorboard import TensorBoard as TensorBoard
from loom.callbacks.terminate_on_nan import TerminateOnNaN as TerminateOnNaN
