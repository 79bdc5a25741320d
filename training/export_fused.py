"""The export that ORT's CPU fusions recognise: our weights loaded into transformers' LlamaForCausalLM,
exported with the dynamo exporter through a flat-I/O wrapper (the recipe verified in
shared/research/runtime.md §2.1), then fused by onnxscript into GroupQueryAttention and
SkipSimplifiedLayerNormalization (§2.4). Needs torch >= 2.9, transformers 5, onnxscript: the GPU box has them.
The I/O names and semantics are the same as export_onnx.export_decoder's.
"""
import torch

from export_onnx import io_names


def export_hf_dynamo(model, onnx_path):
    from transformers import LlamaConfig as HFLlamaConfig
    from transformers import LlamaForCausalLM
    from transformers.cache_utils import DynamicCache

    cfg = model.cfg
    hf_dict = {k: v for k, v in cfg.to_hf_dict().items() if k not in ("architectures", "torch_dtype", "name", "model_type")}
    hf_cfg = HFLlamaConfig(**hf_dict)
    hf = LlamaForCausalLM(hf_cfg)
    missing, unexpected = hf.load_state_dict(model.state_dict(), strict=False)
    if [m for m in missing if "rotary" not in m] or unexpected:
        raise RuntimeError(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
    hf.float().eval()

    class Wrapper(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, position_ids, num_logits_to_keep, past_kv):
            n = len(past_kv) // 2
            cache = DynamicCache(ddp_cache_data=[(past_kv[2 * i], past_kv[2 * i + 1]) for i in range(n)],
                                 config=self.m.config)
            out = self.m.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                               past_key_values=cache, use_cache=True)
            s = input_ids.shape[1]
            start = torch.where(num_logits_to_keep > 0, s - num_logits_to_keep, 0)
            logits = self.m.lm_head(out.last_hidden_state[:, start:, :])
            presents = []
            for layer in out.past_key_values.layers:
                presents += [layer.keys, layer.values]
            return (logits, *presents)

    inputs, outputs = io_names(cfg.num_hidden_layers)
    b, s, p = 2, 5, 7
    hd = cfg.dim_per_head
    past = [torch.randn(b, cfg.num_key_value_heads, p, hd) for _ in range(2 * cfg.num_hidden_layers)]
    args = (torch.randint(0, cfg.vocab_size, (b, s)), torch.ones(b, p + s, dtype=torch.int64),
            torch.arange(p, p + s)[None].expand(b, s).contiguous(), torch.tensor(0, dtype=torch.int64), past)
    Dim = torch.export.Dim
    batch, seq, past_len = Dim("batch_size"), Dim("sequence_length"), Dim("past_sequence_length")
    dyn = {
        "input_ids": {0: batch, 1: seq},
        "attention_mask": {0: batch, 1: Dim.AUTO},
        "position_ids": {0: batch, 1: seq},
        "num_logits_to_keep": None,
        "past_kv": [{0: batch, 2: past_len} for _ in past],
    }
    with torch.no_grad():
        torch.onnx.export(Wrapper(hf), args, onnx_path, input_names=inputs, output_names=outputs,
                          dynamic_shapes=dyn, dynamo=True, opset_version=18, external_data=False)


def fuse_for_ort(src, dst):
    """Returns the fusion counts (empty when nothing matched)."""
    import onnx_ir as ir
    from onnxscript.rewriter.ort_fusions import optimize_for_ort

    model = ir.load(src)
    model, stats = optimize_for_ort(model)
    ir.save(model, dst)
    return {k: v for k, v in stats.items() if v}
