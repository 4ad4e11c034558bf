"""loom.datasets: Keras's small example datasets (``keras.datasets``), downloaded once into the cache.

Each module's ``load_data`` takes Keras 3's arguments and returns the same
arrays, fetched with ``loom.utils.get_file`` from Keras's origins and checked
against Keras's hashes. Files holding Python objects (IMDB, Reuters, CIFAR)
are unpickled with an allowlist that admits NumPy arrays only.
"""

from loom.datasets import boston_housing as boston_housing
from loom.datasets import california_housing as california_housing
from loom.datasets import cifar10 as cifar10
from loom.datasets import cifar100 as cifar100
from loom.datasets import fashion_mnist as fashion_mnist
from loom.datasets import imdb as imdb
from loom.datasets import mnist as mnist
from loom.datasets import reuters as reuters
