"""initialize: join several processes into one JAX computation (``jax.distributed``)."""

import os

import jax
import numpy as np


def initialize(job_addresses=None, num_processes=None, process_id=None) -> None:
    """Connect this process to the others before any computation.

    Args:
        job_addresses: the coordinator's ``"host:port"`` (process 0), or every
            process's address comma-separated (the first is the coordinator);
            default: ``KERAS_DISTRIBUTION_JOB_ADDRESSES``.
        num_processes: how many processes take part; default:
            ``KERAS_DISTRIBUTION_NUM_PROCESSES``.
        process_id: this process's number, 0 .. num_processes-1; default:
            ``KERAS_DISTRIBUTION_PROCESS_ID``.

    Afterwards ``list_devices()`` lists every process's devices. Unless a seed
    was set with ``loom.utils.set_random_seed``, the processes agree on one (process
    0's), so replicated variables start equal everywhere.
    """
    environ = os.environ
    if job_addresses is None:
        job_addresses = environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in environ:
        num_processes = int(environ["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in environ:
        process_id = int(environ["KERAS_DISTRIBUTION_PROCESS_ID"])
    coordinator = job_addresses
    if job_addresses and "," in job_addresses:
        addresses = [a.strip() for a in job_addresses.split(",")]
        if num_processes is not None and num_processes != len(addresses):
            raise ValueError(
                f"initialize: job_addresses lists {len(addresses)} processes {addresses} but "
                f"num_processes={num_processes}; give one address per process."
            )
        coordinator = addresses[0]
    jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes, process_id=process_id)
    _agree_on_seed()


def _agree_on_seed() -> None:
    from jax.experimental import multihost_utils

    from loom.state import seed_generator

    if seed_generator.global_seed_was_set():
        return
    seed = np.asarray(seed_generator.make_default_seed(), np.int64)
    agreed = int(multihost_utils.broadcast_one_to_all(seed))
    seed_generator.set_global_seed(agreed)
