"""Exports a training/llama.py model to ONNX with the Hugging Face / Optimum decoder signature:
inputs input_ids, attention_mask, position_ids, num_logits_to_keep, past_key_values.{i}.key|value;
outputs logits, present.{i}.key|value. Runs on torch 1.13 and torch 2.x (TorchScript exporter).
"""
import inspect

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
