"""One of two processes training one model under DataParallel (started by
tests/distribution/test_two_processes.py).

argv: process_id port work_dir mode, where mode is
  "full":     train 4 epochs, save weights and the model (process 0 writes);
  "killed":   train with BackupAndRestore and die (os._exit) after epoch 2's backup;
  "resumed":  train with BackupAndRestore from that backup to the end;
  "single":   one process alone on all rows, global batch, for comparison.
Each process passes its own half of the rows; the global batch is 2 x batch_size.
"""

import json
import os
import sys

process_id, port, work_dir, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
os.environ["JAX_PLATFORMS"] = "cpu"

import numpy as np

import loom
from loom import distribution

EPOCHS, BATCH, ROWS = 4, 8, 64

if mode != "single":
    distribution.initialize(f"127.0.0.1:{port}", 2, process_id)
distribution.set_distribution(distribution.DataParallel())
loom.utils.set_random_seed(0)
inputs = loom.Input((6,))
hidden = loom.layers.Dense(8, activation="relu", name="hidden")(inputs)
model = loom.Model(inputs, loom.layers.Dense(1, name="out")(hidden))
model.compile(loom.optimizers.Adam(0.01), "mse")

rng = np.random.default_rng(0)
x = rng.normal(size=(ROWS, 6)).astype("float32")
y = (x[:, :1] * 2.0 - x[:, 1:2]).astype("float32")
if mode == "single":
    rows, batch = slice(0, ROWS), 2 * BATCH
else:
    rows, batch = slice(process_id * ROWS // 2, (process_id + 1) * ROWS // 2), BATCH


class DieAfterEpoch(loom.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            os._exit(17)  # a kill: nothing after this runs, no clean-up


callbacks = []
if mode in ("killed", "resumed"):
    callbacks.append(loom.callbacks.BackupAndRestore(os.path.join(work_dir, "backup"), delete_checkpoint=False))
if mode == "killed":
    callbacks.append(DieAfterEpoch())
history = model.fit(x[rows], y[rows], batch_size=batch, epochs=EPOCHS, shuffle=True, verbose=0, callbacks=callbacks)
predictions = model.predict(x[rows], batch_size=batch, verbose=0)
tag = f"{mode}_{process_id}"
np.savez(os.path.join(work_dir, f"{tag}.npz"), *model.get_weights(), predictions=predictions)
with open(os.path.join(work_dir, f"{tag}.json"), "w") as handle:
    json.dump({"loss": history.history["loss"], "devices": len(distribution.list_devices())}, handle)
if mode == "full":
    model.save(os.path.join(work_dir, "model.loom"))
