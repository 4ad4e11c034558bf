"""set_random_seed: one call that makes weight initialization and random layers reproducible."""

from loom.state.seed_generator import set_global_seed


def set_random_seed(seed: int) -> None:
    """Seed Python, NumPy and loom's global streams (initializers, unseeded draws)."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"set_random_seed expects an int; received seed={seed!r}.")
    set_global_seed(seed)
