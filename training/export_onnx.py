"""Exports a training/llama.py model to ONNX with the Hugging Face / Optimum decoder signature:
inputs input_ids, attention_mask, position_ids, num_logits_to_keep, past_key_values.{i}.key|value;
outputs logits, present.{i}.key|value. Runs on torch 1.13 and torch 2.x (TorchScript exporter).
"""
import inspect
import json
import os
import shutil

import numpy as np
import torch


class _Wrapper(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, num_logits_to_keep, *past):
        logits, presents = self.model.forward_with_cache(input_ids, attention_mask, position_ids,
                                                         num_logits_to_keep, list(past))
        return (logits, *presents)


def io_names(num_layers):
    past = [f"past_key_values.{i}.{kv}" for i in range(num_layers) for kv in ("key", "value")]
    present = [f"present.{i}.{kv}" for i in range(num_layers) for kv in ("key", "value")]
    return ["input_ids", "attention_mask", "position_ids", "num_logits_to_keep", *past], ["logits", *present]


def export_decoder(model, onnx_path, opset=17):
    cfg = model.cfg
    model = model.float().eval()
    inputs, outputs = io_names(cfg.num_hidden_layers)
    # Batch 2, sequence 5 and past 7 keep the tracer from specialising any dimension to 0 or 1.
    b, s, p = 2, 5, 7
    hd = cfg.dim_per_head
    args = (
        torch.randint(0, cfg.vocab_size, (b, s)),
        torch.ones(b, p + s, dtype=torch.int64),
        torch.arange(p, p + s)[None].expand(b, s).contiguous(),
        torch.tensor(0, dtype=torch.int64),
        *[torch.randn(b, cfg.num_key_value_heads, p, hd) for _ in range(2 * cfg.num_hidden_layers)],
    )
    dyn = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for name in inputs[4:]:
        dyn[name] = {0: "batch_size", 2: "past_sequence_length"}
    for name in outputs[1:]:
        dyn[name] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    kwargs = dict(input_names=inputs, output_names=outputs, dynamic_axes=dyn, opset_version=opset,
                  do_constant_folding=True)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    with torch.no_grad():
        torch.onnx.export(_Wrapper(model), args, onnx_path, **kwargs)


def write_model_dir(model, cfg, out_dir, tokenizer_files, onnx_name="model.onnx", extra_config=None):
    """Lays out a model directory in the Hugging Face / Optimum layout the runtime loads:
    config.json, generation_config.json, the tokenizer files (name -> source path) and onnx/<onnx_name>."""
    os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
    config = cfg.to_hf_dict()
    config.update(extra_config or {})
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    generation = {"bos_token_id": cfg.bos_token_id, "eos_token_id": cfg.eos_token_id, "do_sample": False}
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump(generation, f, indent=2)
    for name, src in tokenizer_files.items():
        shutil.copyfile(src, os.path.join(out_dir, name))
    export_decoder(model, os.path.join(out_dir, "onnx", onnx_name))


def check_parity(model, onnx_path, prompt_len=6, steps=3, atol=1e-4):
    """Compares ORT against PyTorch for a prefill then `steps` cached single-token steps, with
    num_logits_to_keep=1. Returns the largest absolute logits difference, or None when onnxruntime (Python)
    is not installed (the Node tests then do the check against test/fixtures/*/reference.json)."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    cfg = model.cfg
    model = model.float().eval()
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    torch.manual_seed(0)
    ids = torch.randint(0, cfg.vocab_size, (1, prompt_len + steps))
    past = [np.zeros((1, cfg.num_key_value_heads, 0, cfg.dim_per_head), np.float32)
            for _ in range(2 * cfg.num_hidden_layers)]
    worst, start = 0.0, 0
    for end in [prompt_len] + list(range(prompt_len + 1, prompt_len + steps + 1)):
        feeds = {
            "input_ids": ids[:, start:end].numpy(),
            "attention_mask": np.ones((1, end), np.int64),
            "position_ids": np.arange(start, end, dtype=np.int64)[None],
            "num_logits_to_keep": np.array(1, np.int64),
        }
        feeds.update({n: t for n, t in zip(io_names(cfg.num_hidden_layers)[0][4:], past)})
        out = session.run(None, {k: v for k, v in feeds.items() if k in names})
        with torch.no_grad():
            expected = model(ids[:, :end])[:, -1:].numpy()
        worst = max(worst, float(np.abs(out[0] - expected).max()))
        past, start = out[1:], end
    if worst > atol:
        raise AssertionError(f"ORT vs PyTorch logits differ by {worst:.2e} (> {atol:.0e}) for {onnx_path}")
    return worst
