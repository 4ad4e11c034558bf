"""Every test here may change global settings of loom and Keras; each gets them back afterwards."""

from tests.global_settings import restore_global_config  # noqa: F401 (an autouse fixture)
