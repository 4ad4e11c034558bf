"""Convolution layers: Conv1D/2D/3D, their transposes, depthwise and separable convolutions."""

from loom.layers.convolutional.conv import Conv1D as Conv1D
from loom.layers.convolutional.conv import Conv2D as Conv2D
from loom.layers.convolutional.conv import Conv3D as Conv3D
from loom.layers.convolutional.conv import Convolution1D as Convolution1D
from loom.layers.convolutional.conv import Convolution2D as Convolution2D
from loom.layers.convolutional.conv import Convolution3D as Convolution3D
from loom.layers.convolutional.conv_transpose import Conv1DTranspose as Conv1DTranspose
from loom.layers.convolutional.conv_transpose import Conv2DTranspose as Conv2DTranspose
from loom.layers.convolutional.conv_transpose import Conv3DTranspose as Conv3DTranspose
from loom.layers.convolutional.conv_transpose import Convolution1DTranspose as Convolution1DTranspose
from loom.layers.convolutional.conv_transpose import Convolution2DTranspose as Convolution2DTranspose
from loom.layers.convolutional.conv_transpose import Convolution3DTranspose as Convolution3DTranspose
from loom.layers.convolutional.depthwise_conv import DepthwiseConv1D as DepthwiseConv1D
from loom.layers.convolutional.depthwise_conv import DepthwiseConv2D as DepthwiseConv2D
from loom.layers.convolutional.separable_conv import SeparableConv1D as SeparableConv1D
from loom.layers.convolutional.separable_conv import SeparableConv2D as SeparableConv2D
from loom.layers.convolutional.separable_conv import SeparableConvolution1D as SeparableConvolution1D
from loom.layers.convolutional.separable_conv import SeparableConvolution2D as SeparableConvolution2D
