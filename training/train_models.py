"""Trains the embedded default model pair on the GPU box, end to end, in one command.

Phases (each logged with its wall time): tokenizer → FIM sequences → target pre-training → draft distillation
→ held-out metrics → ONNX export → int8 / 4-bit quantization → parity checks → packed outputs.
Everything is bounded by wall-clock budgets so the whole run fits the device tool's 10-minute limit.

    python3 training/train_models.py --data training/data --out $OUT/work [--smoke]
"""
import argparse
import gzip
import json
import lzma
import math
import os
import random
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fim_samples import DefinitionIndex, SampleBuilder, assemble, chunk_document  # noqa: E402
from llama import Llama, LlamaConfig  # noqa: E402
from release_weights import load_release_weights  # noqa: E402
from tokenizer_train import train_tokenizer  # noqa: E402

T0 = time.time()
LOG = []


def log(msg):
    line = f"[{time.time() - T0:7.1f}s] {msg}"
    print(line, flush=True)
    LOG.append(line)


def read_jsonl_xz(path, limit_bytes=None):
    """Reads a corpus split: .jsonl.xz, or .jsonl.gz when that is what exists (faster to make, bigger)."""
    docs, total = [], 0
    if not os.path.exists(path) and os.path.exists(path[:-3] + ".gz"):
        path = path[:-3] + ".gz"
    opener = gzip.open if path.endswith(".gz") else lzma.open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            docs.append(d)
            total += len(d["text"])
            if limit_bytes and total >= limit_bytes:
                break
    return docs


TARGET_SHAPE = dict(hidden_size=512, intermediate_size=1024, num_hidden_layers=8, num_attention_heads=8,
                    num_key_value_heads=2)
# The draft shares its embedding with its output layer: at this width the two 16k-row tables would be most of its
# parameters (11.4M untied with 4 layers), and tying keeps it within the 3-8M the release asks for with a fifth
# layer. export_release.py writes the two tables apart again, as ORT's 4-bit kernels need.
DRAFT_SHAPE = dict(hidden_size=256, intermediate_size=768, num_hidden_layers=5, num_attention_heads=4,
                   num_key_value_heads=1, tie_word_embeddings=True)


def make_config(shape, vocab_size, special, max_pos):
    shape = {"tie_word_embeddings": False, **shape}
    return LlamaConfig(vocab_size=vocab_size, max_position_embeddings=max_pos, rms_norm_eps=1e-5,
                       rope_theta=10000.0, bos_token_id=special["eos"], eos_token_id=special["eos"], **shape)


def pack(plans_in_encode_order, encoded, seq_len, rng):
    seqs = []
    for plan in plans_in_encode_order:
        pieces = [p if isinstance(p, int) else (p[0], next(encoded).ids) for p in plan]
        seqs.append(assemble(pieces, seq_len + 1))
    rng.shuffle(seqs)
    flat = np.concatenate([np.asarray(s, dtype=np.int32) for s in seqs])
    n_rows = len(flat) // (seq_len + 1)
    return torch.from_numpy(flat[: n_rows * (seq_len + 1)].reshape(n_rows, seq_len + 1).copy())


def lr_at(progress, peak, warmup_frac=0.03, floor=0.1):
    if progress < warmup_frac:
        return peak * progress / warmup_frac
    p = (progress - warmup_frac) / (1 - warmup_frac)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


def train_loop(model, rows, budget_s, batch, peak_lr, step_fn, name):
    """Trains until budget_s of wall time is spent; the LR schedule follows elapsed time, not steps."""
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=peak_lr, betas=(0.9, 0.95), fused=True)
    n = rows.shape[0]
    perm = torch.randperm(n, device=rows.device)
    # Compile outside the budget: the first forward/backward triggers torch.compile; no update is made.
    warm = time.time()
    step_fn(rows[perm[:batch]].long()).backward()
    opt.zero_grad(set_to_none=True)
    torch.cuda.synchronize()
    compile_s = time.time() - warm
    log(f"{name}: compiled in {compile_s:.1f}s")
    pos, step, tokens = 0, 0, 0
    start = time.time()
    losses = []
    while True:
        elapsed = time.time() - start
        if elapsed >= budget_s:
            break
        progress = elapsed / budget_s
        for g in opt.param_groups:
            g["lr"] = lr_at(progress, peak_lr)
        if pos + batch > n:
            perm = torch.randperm(n, device=rows.device)
            pos = 0
        idx = perm[pos:pos + batch]
        pos += batch
        batch_rows = rows[idx].long()
        loss = step_fn(batch_rows)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        tokens += batch_rows.numel()
        if step % 100 == 0:
            losses.append(loss.item())
            log(f"{name} step {step} loss {losses[-1]:.3f} lr {opt.param_groups[0]['lr']:.2e} "
                f"{tokens / (time.time() - start):.0f} tok/s (epochs {tokens / rows.numel():.2f})")
    torch.cuda.synchronize()
    took = time.time() - start
    return {"steps": step, "tokens": tokens, "seconds": round(took, 1), "compile_s": round(compile_s, 1),
            "tokens_per_s": round(tokens / took), "epochs": round(tokens / rows.numel(), 2),
            "loss_trace": [round(x, 4) for x in losses]}


@torch.no_grad()
def heldout_metrics(target, draft, rows, batch=32):
    """Per-token cross-entropy of both models on held-out rows and the draft's greedy agreement with the
    target (the acceptance rate greedy speculative decoding would see)."""
    tot = {"t_nll": 0.0, "d_nll": 0.0, "agree": 0, "n": 0}
    for i in range(0, rows.shape[0], batch):
        x = rows[i:i + batch].long()
        inp, lab = x[:, :-1], x[:, 1:]
        with torch.autocast("cuda", dtype=torch.bfloat16):
            lt = target(inp).float()
            ld = draft(inp).float()
        tot["t_nll"] += F.cross_entropy(lt.flatten(0, 1), lab.flatten(), reduction="sum").item()
        tot["d_nll"] += F.cross_entropy(ld.flatten(0, 1), lab.flatten(), reduction="sum").item()
        tot["agree"] += (lt.argmax(-1) == ld.argmax(-1)).sum().item()
        tot["n"] += lab.numel()
    n = tot["n"]
    return {"heldout_tokens": n, "target_ppl": round(math.exp(tot["t_nll"] / n), 3),
            "draft_ppl": round(math.exp(tot["d_nll"] / n), 3), "greedy_agreement": round(tot["agree"] / n, 4)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--extra", action="append", default=[],
                    help="more train records as plain .jsonl (what harvest_site_packages.py wrote on the box)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true", help="real shapes, tiny budgets and data: checks the whole pipeline and its timings")
    ap.add_argument("--target-seconds", type=float, default=225)
    ap.add_argument("--draft-seconds", type=float, default=75)
    ap.add_argument("--vocab", type=int, default=16384)
    ap.add_argument("--seq", type=int, default=1024)
    ap.add_argument("--tokenizer-sample-mb", type=float, default=120)
    ap.add_argument("--deadline", type=float, default=575, help="seconds from start by which export must be done")
    ap.add_argument("--init-release", help="continue training a shipped release (models/default): its tokenizer, "
                    "and its 4-bit weights dequantized, at a third of the learning rate")
    ap.add_argument("--fim-passes", type=int, default=1,
                    help="FIM variants (fresh split points and context) of each chunk of the largest language group")
    ap.add_argument("--seed", type=int, default=0,
                    help="seeds the training samples and their order; a continued run (--init-release) takes a new one "
                    "to see fresh FIM splits and context of the same text (held-out rows never change)")
    args = ap.parse_args()
    if args.smoke:
        args.target_seconds, args.draft_seconds = 8, 4
    # The smoke run checks the pipeline, not speed: it skips the minute torch.compile takes.
    compile_model = (lambda m: m) if args.smoke else torch.compile
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    torch.backends.cuda.matmul.allow_tf32 = True
    dev = "cuda"
    metrics = {"smoke": args.smoke}

    limit = 20e6 if args.smoke else None
    train_docs = read_jsonl_xz(os.path.join(args.data, "train.jsonl.xz"), limit)
    for path in args.extra:
        with open(path, encoding="utf-8") as f:
            extra = [json.loads(line) for line in f]
        train_docs.extend(extra[:200] if args.smoke else extra)
    held_docs = read_jsonl_xz(os.path.join(args.data, "heldout.jsonl.xz"), 5e6 if args.smoke else None)
    metrics["train_chars"] = sum(len(d["text"]) for d in train_docs)
    metrics["heldout_chars"] = sum(len(d["text"]) for d in held_docs)
    log(f"loaded {len(train_docs)} train docs ({metrics['train_chars'] / 1e6:.0f}M chars), {len(held_docs)} held-out")

    tok_dir = os.path.join(args.out, "tokenizer")
    rng = random.Random(0)
    sample, size = [], 0
    for d in rng.sample(train_docs, len(train_docs)):
        sample.append(d["text"])
        size += len(d["text"])
        if size >= args.tokenizer_sample_mb * 1e6:
            break
    if args.init_release:
        os.makedirs(tok_dir, exist_ok=True)
        for fname in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(os.path.join(args.init_release, fname), tok_dir)
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(os.path.join(tok_dir, "tokenizer.json"))
    else:
        tok = train_tokenizer(sample, args.vocab, tok_dir)
    vocab = tok.get_vocab_size()
    special = {"eos": tok.token_to_id("<|endoftext|>"), "fim_prefix": tok.token_to_id("<|fim_prefix|>"),
               "fim_middle": tok.token_to_id("<|fim_middle|>"), "fim_suffix": tok.token_to_id("<|fim_suffix|>"),
               "file_sep": tok.token_to_id("<|file_sep|>")}
    log(f"tokenizer: vocab {vocab} from {size / 1e6:.0f}M chars; specials {special}")

    rng = random.Random(1 + args.seed)
    # Half of the FIM samples carry snippets of other files of the package (see DefinitionIndex): the server
    # puts retrieved snippets into nearly every prompt.
    builder = SampleBuilder(special, rng, context_rate=0.5)
    by_package = {}
    for d in train_docs:
        by_package.setdefault(d["package"], []).append((d["path"], d["text"]))
    # Each pass over a document gets fresh FIM splits. The box adds far more Python than the upload carries
    # JavaScript/TypeScript, so the smaller group gets more variants (up to 3 per pass) to keep the languages
    # balanced. More passes trade repeated FIM samples for repeated text: training runs several epochs.
    group_chars = {}
    for d in train_docs:
        g = "py" if d["lang"] == "py" else "js/ts"
        group_chars[g] = group_chars.get(g, 0) + len(d["text"])
    largest = max(group_chars.values())
    passes = args.fim_passes
    variants = {g: max(passes, min(3 * passes, round(passes * largest / c))) for g, c in group_chars.items()}
    metrics["fim_variants"] = variants
    metrics["train_chars_by_group"] = group_chars
    definitions = {}
    plans = []
    for d in train_docs:
        for _ in range(variants["py" if d["lang"] == "py" else "js/ts"]):
            chunks = chunk_document(d["text"], 3200)
            for ci, chunk in enumerate(chunks):
                def context(prefix, middle, suffix, package=d["package"], path=d["path"]):
                    if package not in definitions:
                        definitions[package] = DefinitionIndex(by_package[package])
                    return definitions[package].snippets_for(rng, prefix, middle, suffix, path)
                plans.append(builder.plan(chunk, d["path"], ci == len(chunks) - 1, context)[0])
    asked = sum(index.asked for index in definitions.values())
    found = sum(index.found for index in definitions.values())
    metrics["context_samples"] = {"with_context": asked, "with_definition": found}
    log(f"context snippets in {asked} FIM samples, a definition their middle uses in {found}")
    del definitions
    texts = [p[1] for plan in plans for p in plan if not isinstance(p, int)]
    log(f"encoding {len(texts)} pieces for {len(plans)} samples; FIM variants per chunk {variants}, "
        f"chars {group_chars}")
    encoded = iter(tok.encode_batch(texts, add_special_tokens=False))
    train_rows = pack(plans, encoded, args.seq, rng).to(dev)
    del plans, texts, encoded
    log(f"train rows {tuple(train_rows.shape)} = {train_rows.numel() / 1e6:.1f}M tokens")
    metrics["train_tokens"] = train_rows.numel()

    held_plans = []
    plain = SampleBuilder(special, random.Random(2), fim_rate=0.0, path_rate=0.0, context_rate=0.0)
    for d in held_docs:
        chunks = chunk_document(d["text"], 3200)
        for ci, chunk in enumerate(chunks):
            held_plans.append(plain.plan(chunk, d["path"], ci == len(chunks) - 1, [])[0])
    held_texts = [p[1] for plan in held_plans for p in plan if not isinstance(p, int)]
    held_rows = pack(held_plans, iter(tok.encode_batch(held_texts, add_special_tokens=False)), args.seq,
                     random.Random(3))
    held_rows = held_rows[: (64 if args.smoke else 512)].to(dev)
    log(f"held-out rows {tuple(held_rows.shape)}")

    tcfg = make_config(TARGET_SHAPE, vocab, special, args.seq)
    dcfg = make_config(DRAFT_SHAPE, vocab, special, args.seq)
    target = Llama(tcfg).to(dev)
    draft = Llama(dcfg).to(dev)
    metrics["target_params"] = sum(p.numel() for p in target.parameters())
    metrics["draft_params"] = sum(p.numel() for p in draft.parameters())
    log(f"target {metrics['target_params'] / 1e6:.1f}M params, draft {metrics['draft_params'] / 1e6:.1f}M")
    lr_scale = 1.0
    if args.init_release:
        for name, model in (("target", target), ("draft", draft)):
            load_release_weights(model, os.path.join(args.init_release, name))
        lr_scale = 1 / 3
        metrics["init_release"] = args.init_release
        log(f"initialised both models from {args.init_release}; learning rates x{lr_scale:.2f}")

    # The device tool gives a command 10 minutes: what data preparation took comes out of the target's budget,
    # keeping room for its compile (~30 s), the draft's compile and distillation, and export (~2 min).
    left = args.deadline - (time.time() - T0)
    target_budget = min(args.target_seconds, left - 35 - (45 + args.draft_seconds) - 140)
    if target_budget < args.target_seconds:
        log(f"target budget cut to {target_budget:.0f}s to finish within the deadline")
    target_c = compile_model(target)

    def target_step(x):
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = target_c(x[:, :-1])
        return F.cross_entropy(logits.float().flatten(0, 1), x[:, 1:].flatten())

    metrics["target_training"] = train_loop(target, train_rows, target_budget, 128, 2e-3 * lr_scale, target_step,
                                            "target")
    target.eval()
    for p in target.parameters():
        p.requires_grad_(False)

    draft_c = compile_model(draft)

    def draft_step(x):
        inp = x[:, :-1]
        with torch.autocast("cuda", dtype=torch.bfloat16):
            with torch.no_grad():
                t_logits = target_c(inp)
            d_logits = draft_c(inp)
        t_logp = F.log_softmax(t_logits.float(), -1)
        d_logp = F.log_softmax(d_logits.float(), -1)
        kl = F.kl_div(d_logp.flatten(0, 1), t_logp.flatten(0, 1), log_target=True, reduction="batchmean")
        ce = F.nll_loss(d_logp.flatten(0, 1), x[:, 1:].flatten())
        return kl + 0.1 * ce

    metrics["draft_distillation"] = train_loop(draft, train_rows, args.draft_seconds, 64, 3e-3 * lr_scale, draft_step, "draft")
    draft.eval()
    metrics["heldout"] = heldout_metrics(target, draft, held_rows)
    log(f"held-out: {metrics['heldout']}")

    torch.save({"target": target.state_dict(), "draft": draft.state_dict(), "target_config": tcfg.__dict__,
                "draft_config": dcfg.__dict__}, os.path.join(args.out, "checkpoint.pt"))
    np.save(os.path.join(args.out, "heldout_rows.npy"), held_rows[:16].cpu().numpy())
    with open(os.path.join(args.out, "train_metrics.json"), "w") as f:
        json.dump(metrics, f, indent=2)
    log("training done; checkpoint saved")


if __name__ == "__main__":
    main()
