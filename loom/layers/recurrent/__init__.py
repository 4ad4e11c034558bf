"""Recurrent layers: RNN and its cells, LSTM, GRU, SimpleRNN, ConvLSTM1D/2D/3D, Bidirectional, TimeDistributed."""

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
