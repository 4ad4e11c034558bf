"""Layer state: variables, the stateless scope, and seeded random state."""

from loom.state.seed_generator import SeedGenerator as SeedGenerator
from loom.state.stateless_scope import StatelessScope as StatelessScope
from loom.state.variable import Variable as Variable
