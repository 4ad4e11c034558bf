"""loom.ops.image: Keras's ``keras.ops.image`` functions (resize, warps, colour, filters, patches)."""

from loom.ops.image_color import hsv_to_rgb, rgb_to_grayscale, rgb_to_hsv
from loom.ops.image_filters import gaussian_blur, sobel_edges, ssim
from loom.ops.image_regions import crop_images, extract_patches, extract_patches_3d, pad_images
from loom.ops.image_resize import resize, scale_and_translate
from loom.ops.image_sampling import affine_transform, elastic_transform, map_coordinates, perspective_transform

__all__ = [
    "affine_transform",
    "crop_images",
    "elastic_transform",
    "extract_patches",
    "extract_patches_3d",
    "gaussian_blur",
    "hsv_to_rgb",
    "map_coordinates",
    "pad_images",
    "perspective_transform",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "scale_and_translate",
    "sobel_edges",
    "ssim",
]
