"""A plain-PyTorch Llama decoder (RMSNorm, rotary embeddings, SwiGLU, grouped-query attention).

Parameter names match Hugging Face's LlamaForCausalLM, so a state dict saves as an HF checkpoint.
It runs on torch 1.13 (fixtures, CPU) and torch 2.x (training on the GPU box).
`forward` is the training path (full causal attention, no cache); `forward_with_cache` is the export path
with the Optimum decoder signature (flat past key/values in, logits and presents out).
"""
import math
from dataclasses import asdict, dataclass
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class LlamaConfig:
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: Optional[int] = None
    max_position_embeddings: int = 2048
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    tie_word_embeddings: bool = False
    bos_token_id: int = 0
    eos_token_id: int = 0
    # Biases on q/k/v only (Qwen2's layout); a config with them is written as Qwen2ForCausalLM.
    attention_bias: bool = False

    @property
    def dim_per_head(self):
        return self.head_dim or self.hidden_size // self.num_attention_heads

    def to_hf_dict(self):
        d = asdict(self)
        d["head_dim"] = self.dim_per_head
        qwen2 = self.attention_bias
        d.update({
            "architectures": ["Qwen2ForCausalLM" if qwen2 else "LlamaForCausalLM"],
            "model_type": "qwen2" if qwen2 else "llama",
            "hidden_act": "silu",
            "attention_bias": False,
            "mlp_bias": False,
            "torch_dtype": "float32",
            "use_cache": True,
        })
        if qwen2:
            del d["attention_bias"], d["mlp_bias"]
        return d


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rotary(cfg, position_ids, dtype):
    """cos/sin of shape [B, 1, S, head_dim] for the given absolute positions (HF's rotate_half layout)."""
    dim = cfg.dim_per_head
    inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.float32, device=position_ids.device) / dim))
    freqs = position_ids.float()[:, :, None] * inv_freq[None, None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos()[:, None].to(dtype), emb.sin()[:, None].to(dtype)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        hd = cfg.dim_per_head
        bias = cfg.attention_bias
        self.q_proj = nn.Linear(cfg.hidden_size, cfg.num_attention_heads * hd, bias=bias)
        self.k_proj = nn.Linear(cfg.hidden_size, cfg.num_key_value_heads * hd, bias=bias)
        self.v_proj = nn.Linear(cfg.hidden_size, cfg.num_key_value_heads * hd, bias=bias)
        self.o_proj = nn.Linear(cfg.num_attention_heads * hd, cfg.hidden_size, bias=False)

    def project(self, x, cos, sin):
        b, s, _ = x.shape
        hd = self.cfg.dim_per_head
        q = self.q_proj(x).view(b, s, self.cfg.num_attention_heads, hd).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.cfg.num_key_value_heads, hd).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.cfg.num_key_value_heads, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        return q, k, v

    def expand_kv(self, t):
        groups = self.cfg.num_attention_heads // self.cfg.num_key_value_heads
        if groups == 1:
            return t
        b, h, s, d = t.shape
        return t[:, :, None].expand(b, h, groups, s, d).reshape(b, h * groups, s, d)

    def forward(self, x, cos, sin):
        q, k, v = self.project(x, cos, sin)
        k, v = self.expand_kv(k), self.expand_kv(v)
        if hasattr(F, "scaled_dot_product_attention"):
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            s = x.shape[1]
            scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
            causal = torch.ones(s, s, dtype=torch.bool, device=x.device).tril()
            out = scores.masked_fill(~causal, float("-inf")).softmax(-1) @ v
        b, _, s, _ = out.shape
        return self.o_proj(out.transpose(1, 2).reshape(b, s, -1))

    def forward_with_cache(self, x, cos, sin, past_k, past_v, bias):
        q, k, v = self.project(x, cos, sin)
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        scores = q @ self.expand_kv(k).transpose(-1, -2) / math.sqrt(self.cfg.dim_per_head) + bias
        out = scores.softmax(-1) @ self.expand_kv(v)
        b, _, s, _ = out.shape
        return self.o_proj(out.transpose(1, 2).reshape(b, s, -1)), k, v


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.self_attn = Attention(cfg)
        self.mlp = MLP(cfg)
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


class Backbone(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


class Llama(nn.Module):
    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.cfg = cfg
        self.model = Backbone(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        self.apply(self._init)

    def _init(self, m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, input_ids):
        b, s = input_ids.shape
        pos = torch.arange(s, device=input_ids.device)[None].expand(b, s)
        h = self.model.embed_tokens(input_ids)
        cos, sin = rotary(self.cfg, pos, h.dtype)
        for layer in self.model.layers:
            h = h + layer.self_attn(layer.input_layernorm(h), cos, sin)
            h = h + layer.mlp(layer.post_attention_layernorm(h))
        return self.lm_head(self.model.norm(h))

    def forward_with_cache(self, input_ids, attention_mask, position_ids, num_logits_to_keep,
                           past: List[torch.Tensor]):
        s = input_ids.shape[1]
        total = attention_mask.shape[1]
        past_len = total - s
        h = self.model.embed_tokens(input_ids)
        cos, sin = rotary(self.cfg, position_ids, h.dtype)
        # Query i (absolute position past_len + i) sees key j when j <= past_len + i and attention_mask[j] == 1.
        q_pos = torch.arange(s, device=h.device)[:, None] + past_len
        k_pos = torch.arange(total, device=h.device)[None, :]
        allowed = (k_pos <= q_pos)[None, None] & (attention_mask[:, None, None, :] > 0)
        bias = torch.zeros(allowed.shape, dtype=h.dtype, device=h.device).masked_fill(~allowed, torch.finfo(h.dtype).min)
        presents = []
        for i, layer in enumerate(self.model.layers):
            a, k, v = layer.self_attn.forward_with_cache(layer.input_layernorm(h), cos, sin, past[2 * i], past[2 * i + 1], bias)
            h = h + a
            h = h + layer.mlp(layer.post_attention_layernorm(h))
            presents += [k, v]
        # 0 keeps every row; N keeps the last N (prefill needs only the last row's logits).
        start = torch.where(num_logits_to_keep > 0, s - num_logits_to_keep, torch.zeros_like(num_logits_to_keep))
        h = h.index_select(1, torch.arange(start, s, device=h.device))
        return self.lm_head(self.model.norm(h)), presents
