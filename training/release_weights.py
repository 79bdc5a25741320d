"""Starts training from a shipped release: its 4-bit ONNX weights dequantized into our Llama (the release keeps no
fp32 checkpoint). Continued training also smooths out the quantization error of the starting point."""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "gguf"))
from dequantize_q4_onnx import recover  # noqa: E402


def load_release_weights(model, model_dir):
    """Loads model_dir/onnx/model_q4.onnx into `model`, whose shape must match the release's config.json."""
    tensors = recover(model_dir)
    if model.cfg.tie_word_embeddings:
        # Exported untied for ORT's kernels; the embedding table is the tied weight (the output layer's copy holds
        # the same values under a different 4-bit rounding).
        tensors.pop("lm_head.weight")
    state = model.state_dict()
    missing = sorted(set(state) - set(tensors) - ({"lm_head.weight"} if model.cfg.tie_word_embeddings else set()))
    extra = sorted(set(tensors) - set(state))
    if missing or extra:
        raise SystemExit(f"{model_dir}: release weights do not fit the model: missing {missing}, unexpected {extra}")
    with torch.no_grad():
        for name, value in tensors.items():
            if tuple(state[name].shape) != value.shape:
                raise SystemExit(f"{model_dir}: {name} is {value.shape} in the release, {tuple(state[name].shape)} here")
            state[name].copy_(torch.from_numpy(value))
