"""Image preprocessing and augmentation layers (Keras 3's keras.layers image preprocessing family)."""

from loom.layers.image_preprocessing.augmentation_policies import AugMix as AugMix
from loom.layers.image_preprocessing.augmentation_policies import RandAugment as RandAugment
from loom.layers.image_preprocessing.base import BaseImagePreprocessingLayer as BaseImagePreprocessingLayer
from loom.layers.image_preprocessing.clahe import (
    ContrastLimitedAdaptiveHistogramEqualization as ContrastLimitedAdaptiveHistogramEqualization,
)
from loom.layers.image_preprocessing.color_adjustment import RandomBrightness as RandomBrightness
from loom.layers.image_preprocessing.color_adjustment import RandomColorDegeneration as RandomColorDegeneration
from loom.layers.image_preprocessing.color_adjustment import RandomContrast as RandomContrast
from loom.layers.image_preprocessing.color_adjustment import RandomInvert as RandomInvert
from loom.layers.image_preprocessing.color_adjustment import RandomPosterization as RandomPosterization
from loom.layers.image_preprocessing.color_adjustment import RandomSharpness as RandomSharpness
from loom.layers.image_preprocessing.color_space import RandomColorJitter as RandomColorJitter
from loom.layers.image_preprocessing.color_space import RandomGrayscale as RandomGrayscale
from loom.layers.image_preprocessing.color_space import RandomHue as RandomHue
from loom.layers.image_preprocessing.color_space import RandomSaturation as RandomSaturation
from loom.layers.image_preprocessing.cropping import CenterCrop as CenterCrop
from loom.layers.image_preprocessing.cropping import RandomCrop as RandomCrop
from loom.layers.image_preprocessing.geometric import RandomRotation as RandomRotation
from loom.layers.image_preprocessing.geometric import RandomShear as RandomShear
from loom.layers.image_preprocessing.geometric import RandomTranslation as RandomTranslation
from loom.layers.image_preprocessing.geometric import RandomZoom as RandomZoom
from loom.layers.image_preprocessing.intensity_mapping import AutoContrast as AutoContrast
from loom.layers.image_preprocessing.intensity_mapping import Equalization as Equalization
from loom.layers.image_preprocessing.intensity_mapping import Solarization as Solarization
from loom.layers.image_preprocessing.local_distortion import RandomElasticTransform as RandomElasticTransform
from loom.layers.image_preprocessing.local_distortion import RandomErasing as RandomErasing
from loom.layers.image_preprocessing.local_distortion import RandomGaussianBlur as RandomGaussianBlur
from loom.layers.image_preprocessing.local_distortion import RandomPerspective as RandomPerspective
from loom.layers.image_preprocessing.max_num_bounding_boxes import MaxNumBoundingBoxes as MaxNumBoundingBoxes
from loom.layers.image_preprocessing.pipeline import Pipeline as Pipeline
from loom.layers.image_preprocessing.random_flip import RandomFlip as RandomFlip
from loom.layers.image_preprocessing.resizing import Resizing as Resizing
from loom.layers.image_preprocessing.sample_mixing import CutMix as CutMix
from loom.layers.image_preprocessing.sample_mixing import MixUp as MixUp
