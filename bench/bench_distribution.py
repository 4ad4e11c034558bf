"""Seed 002's mixture of MLPs under loom.distribution.DataParallel on 1 and 8 simulated
CPU devices, against a hand-written sharded ``lax.scan`` epoch (same mesh) in each process.

On this 2-core CPU, 8 "devices" share two cores: expect no speed-up; the table is the
overhead of partitioning and collectives, not a scaling figure. On a machine with
several accelerators the same script measures real data parallelism.

Each device count runs in its own process (JAX fixes the device count at start-up).
Run: python bench/bench_distribution.py [--rounds R]
"""

import argparse
import os
import subprocess
import sys

SAMPLES, BATCH, EPOCHS = 2048, 64, 5


def child(devices: int, rounds: int) -> None:
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    import common
    import jax
    import jax.numpy as jnp
    import numpy as np
    from bench_mixture import hand_written_model
    from jax.sharding import NamedSharding, PartitionSpec

    from loom import distribution
    from loom.demo import seeds

    xs, y = seeds.mixture_data(samples=SAMPLES)
    dist = distribution.DataParallel()
    distribution.set_distribution(dist)
    model = seeds.mixture_model()
    model.compile("adam", "mse")
    loom_first, loom_run = common.loom_fit_runner(model, xs, y, BATCH)

    # Hand-written: the same optax Adam step; data replicated, each batch split over the mesh.
    mesh = dist.device_mesh.backend_mesh
    batch_sharding = NamedSharding(mesh, PartitionSpec("batch"))
    replicated = NamedSharding(mesh, PartitionSpec())
    params, loss_fn = hand_written_model(np.random.default_rng(0))
    step, init = common.optax_step(loss_fn)

    def sharded_step(state, batch):
        return step(state, jax.lax.with_sharding_constraint(batch, batch_sharding))

    state = jax.device_put(init(params), replicated)
    data = jax.device_put(([jnp.asarray(a) for a in xs], jnp.asarray(y)), replicated)
    scan_first, scan_run = common.scan_epoch_runner(sharded_step, state, data, BATCH)
    common.compare_and_print(
        f"mixture fit, DataParallel over {devices} simulated CPU device(s), batch {BATCH}",
        {"loom fit": loom_run, "hand-written sharded lax.scan": scan_run},
        {"loom": loom_first, "lax.scan": scan_first},
        EPOCHS,
        rounds,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--devices", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.devices is not None:
        child(args.devices, args.rounds)
        return
    here = os.path.dirname(os.path.abspath(__file__))
    for devices in (1, 8):
        subprocess.run(
            [sys.executable, os.path.join(here, "bench_distribution.py"), "--devices", str(devices),
             "--rounds", str(args.rounds)],
            check=True, cwd=here,
        )


if __name__ == "__main__":
    main()
