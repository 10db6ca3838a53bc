"""Save tiny generators with the code of commit 0202b8d (run from that checkout's root)."""
import keras
import numpy as np
from attentiongan_tf.multidomain.models import build_multidomain_generator

from attentiongan_tf import build_generator

keras.utils.set_random_seed(0)
image = np.random.default_rng(0).uniform(-1, 1, (1, 16, 16, 3)).astype("float32")
label = np.eye(3, dtype="float32")[[1]]
reference = {"input": image, "label": label}
for variant in ("scheme2", "geo"):
    model = build_generator(variant, ngf=4, n_blocks=1, n_masks=4)
    model.save(f"generator_{variant}.keras")
    reference[f"generator_{variant}"] = keras.ops.convert_to_numpy(model(image)["image"])
model = build_multidomain_generator(3, ngf=4, n_blocks=1, n_masks=4)
model.save("multidomain_generator.keras")
reference["multidomain_generator"] = keras.ops.convert_to_numpy(model({"image": image, "label": label})["image"])
np.savez("keras_reference.npz", **reference)
