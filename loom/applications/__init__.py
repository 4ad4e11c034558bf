"""loom.applications: Keras's ImageNet models, built layer for layer as Keras builds them, with
their published weights (``weights="imagenet"``), ``preprocess_input`` and ``decode_predictions``.

Each family is a module (``loom.applications.resnet``, ``.mobilenet_v2``, ...); the constructors
are also here at the top, as in ``keras.applications``.
"""

from loom.applications import convnext as convnext
from loom.applications import densenet as densenet
from loom.applications import efficientnet as efficientnet
from loom.applications import efficientnet_v2 as efficientnet_v2
from loom.applications import imagenet_utils as imagenet_utils
from loom.applications import inception_resnet_v2 as inception_resnet_v2
from loom.applications import inception_v3 as inception_v3
from loom.applications import mobilenet as mobilenet
from loom.applications import mobilenet_v2 as mobilenet_v2
from loom.applications import mobilenet_v3 as mobilenet_v3
from loom.applications import nasnet as nasnet
from loom.applications import resnet as resnet
from loom.applications import resnet50 as resnet50
from loom.applications import resnet_v2 as resnet_v2
from loom.applications import vgg16 as vgg16
from loom.applications import vgg19 as vgg19
from loom.applications import xception as xception
from loom.applications.convnext import ConvNeXtBase as ConvNeXtBase
from loom.applications.convnext import ConvNeXtLarge as ConvNeXtLarge
from loom.applications.convnext import ConvNeXtSmall as ConvNeXtSmall
from loom.applications.convnext import ConvNeXtTiny as ConvNeXtTiny
from loom.applications.convnext import ConvNeXtXLarge as ConvNeXtXLarge
from loom.applications.densenet import DenseNet121 as DenseNet121
from loom.applications.densenet import DenseNet169 as DenseNet169
from loom.applications.densenet import DenseNet201 as DenseNet201
from loom.applications.efficientnet import EfficientNetB0 as EfficientNetB0
from loom.applications.efficientnet import EfficientNetB1 as EfficientNetB1
from loom.applications.efficientnet import EfficientNetB2 as EfficientNetB2
from loom.applications.efficientnet import EfficientNetB3 as EfficientNetB3
from loom.applications.efficientnet import EfficientNetB4 as EfficientNetB4
from loom.applications.efficientnet import EfficientNetB5 as EfficientNetB5
from loom.applications.efficientnet import EfficientNetB6 as EfficientNetB6
from loom.applications.efficientnet import EfficientNetB7 as EfficientNetB7
from loom.applications.efficientnet_v2 import EfficientNetV2B0 as EfficientNetV2B0
from loom.applications.efficientnet_v2 import EfficientNetV2B1 as EfficientNetV2B1
from loom.applications.efficientnet_v2 import EfficientNetV2B2 as EfficientNetV2B2
from loom.applications.efficientnet_v2 import EfficientNetV2B3 as EfficientNetV2B3
from loom.applications.efficientnet_v2 import EfficientNetV2L as EfficientNetV2L
from loom.applications.efficientnet_v2 import EfficientNetV2M as EfficientNetV2M
from loom.applications.efficientnet_v2 import EfficientNetV2S as EfficientNetV2S
from loom.applications.inception_resnet_v2 import InceptionResNetV2 as InceptionResNetV2
from loom.applications.inception_v3 import InceptionV3 as InceptionV3
from loom.applications.mobilenet import MobileNet as MobileNet
from loom.applications.mobilenet_v2 import MobileNetV2 as MobileNetV2
from loom.applications.mobilenet_v3 import MobileNetV3Large as MobileNetV3Large
from loom.applications.mobilenet_v3 import MobileNetV3Small as MobileNetV3Small
from loom.applications.nasnet import NASNetLarge as NASNetLarge
from loom.applications.nasnet import NASNetMobile as NASNetMobile
from loom.applications.resnet import ResNet50 as ResNet50
from loom.applications.resnet import ResNet101 as ResNet101
from loom.applications.resnet import ResNet152 as ResNet152
from loom.applications.resnet_v2 import ResNet50V2 as ResNet50V2
from loom.applications.resnet_v2 import ResNet101V2 as ResNet101V2
from loom.applications.resnet_v2 import ResNet152V2 as ResNet152V2
from loom.applications.vgg16 import VGG16 as VGG16
from loom.applications.vgg19 import VGG19 as VGG19
from loom.applications.xception import Xception as Xception
