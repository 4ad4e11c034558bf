"""loom.config: global settings, with the names of ``keras.config``.

Defaults ops and layers read (floatx, epsilon, image_data_format, the dtype
policy), on/off switches, and caps on training length. They start from
``keras.json`` when one exists (see ``config_file``). This package imports
nothing from the rest of loom, so any module may read it.
"""

from loom.config import compilation_cache as _compilation_cache
from loom.config import config_file as _config_file
from loom.config.compilation_cache import compilation_cache_directory as compilation_cache_directory
from loom.config.compilation_cache import disable_compilation_cache as disable_compilation_cache
from loom.config.compilation_cache import enable_compilation_cache as enable_compilation_cache
from loom.config.defaults import backend as backend
from loom.config.defaults import epsilon as epsilon
from loom.config.defaults import floatx as floatx
from loom.config.defaults import image_data_format as image_data_format
from loom.config.defaults import set_backend as set_backend
from loom.config.defaults import set_epsilon as set_epsilon
from loom.config.defaults import set_floatx as set_floatx
from loom.config.defaults import set_image_data_format as set_image_data_format
from loom.config.dtype_policies import dtype_policy as dtype_policy
from loom.config.dtype_policies import set_dtype_policy as set_dtype_policy
from loom.config.run_limits import max_epochs as max_epochs
from loom.config.run_limits import max_steps_per_epoch as max_steps_per_epoch
from loom.config.run_limits import set_max_epochs as set_max_epochs
from loom.config.run_limits import set_max_steps_per_epoch as set_max_steps_per_epoch
from loom.config.switches import disable_flash_attention as disable_flash_attention
from loom.config.switches import disable_interactive_logging as disable_interactive_logging
from loom.config.switches import disable_traceback_filtering as disable_traceback_filtering
from loom.config.switches import enable_flash_attention as enable_flash_attention
from loom.config.switches import enable_interactive_logging as enable_interactive_logging
from loom.config.switches import enable_traceback_filtering as enable_traceback_filtering
from loom.config.switches import enable_unsafe_deserialization as enable_unsafe_deserialization
from loom.config.switches import is_flash_attention_enabled as is_flash_attention_enabled
from loom.config.switches import is_interactive_logging_enabled as is_interactive_logging_enabled
from loom.config.switches import is_nnx_enabled as is_nnx_enabled
from loom.config.switches import is_traceback_filtering_enabled as is_traceback_filtering_enabled

_config_file.load_config_file()
_compilation_cache.enable_from_environment()
