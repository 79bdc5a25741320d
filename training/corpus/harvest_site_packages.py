"""Adds Python source from the GPU box's own interpreter to the uploaded corpus, on the box itself.

The upload is capped by the device tool's 64 MiB (repository included), while the box's Python holds several
hundred MiB of permissively licensed code: its standard library and the installed distributions (PyTorch,
transformers, SciPy, SymPy, pandas, ...). The rules are build_corpus.py's: licence from each distribution's
metadata (permissive only, any copyleft part rejects it), the same file filters, vendored paths dropped,
distributions that share a name with a held-out package skipped, and exact and near duplicates dropped against
the uploaded held-out and train splits, which take precedence, so no held-out code reaches training.

    python3 training/corpus/harvest_site_packages.py --data training/data-gpu --out /tmp/extra

Writes <out>/train-extra.jsonl (never compressed: it does not travel) and <out>/site-packages.tsv, the manifest
of what was taken (committed as training/manifest/site-packages.tsv).
"""
import argparse
import importlib.metadata as metadata
import json
import lzma
import os
import re
import sys
import sysconfig
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_corpus import (COPYLEFT, MAX_BYTES, PERMISSIVE, SECONDARY_OK, VENDOR_RE, check_text,  # noqa: E402
                          infer_license_text, lic_ok, near_dedup, norm_hash)

# How Python distributions spell permissive licences in their License field.
DIST_PERMISSIVE = PERMISSIVE | {"apache 2.0 license", "apache software license", "3-clause bsd license",
                                "bsd 3-clause license", "bsd license", "mit license"}

T0 = time.time()

CLASSIFIER_LICENCES = {
    "MIT License": "MIT", "BSD License": "BSD", "Apache Software License": "Apache-2.0", "ISC License (ISCL)": "ISC",
    "Python Software Foundation License": "PSF-2.0", "The Unlicense (Unlicense)": "Unlicense",
    "MIT No Attribution License (MIT-0)": "MIT",
}
# Classifiers that say who approved a licence, not which one it is.
APPROVAL_MARKERS = {"OSI Approved", "DFSG approved"}
# Copyleft or non-free licences spelled out, as classifiers and License fields write them.
SPELLED_OUT_NONFREE = re.compile(r"general public license|affero|mozilla public|eclipse public|proprietary|"
                                 r"non-commercial|noncommercial|commercial license", re.I)
# Distributions with no usable Python of their own, or whose files are NVIDIA's redistributables.
SKIP_PREFIXES = ("nvidia-", "cuda-", "jax-cuda", "cupy-cuda")


def log(msg):
    print(f"[harvest {time.time() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_licence(dist):
    """(spdx-ish licence, None) when the metadata shows a permissive licence and no copyleft or non-free one
    anywhere (expression, classifiers, License field), else (None, reason). The first of License-Expression,
    licence classifiers (every one must be a known permissive licence), a short License field or a recognised
    licence text decides which licence is recorded."""
    md = dist.metadata
    expr = (md.get("License-Expression") or "").strip()
    classifiers = [c.split("::")[-1].strip() for c in (md.get_all("Classifier") or []) if c.startswith("License ::")]
    field = (md.get("License") or "").strip()
    named = [expr, field] + classifiers
    if any(COPYLEFT.search(x or "") or SPELLED_OUT_NONFREE.search(x or "") for x in named):
        return None, "copyleft or non-free licence in metadata"
    if expr:
        # An AND of a permissive main licence and permissive parts for bundled files (NumPy's Zlib, CC0, ...)
        # passes, as a secondary stanza does in a Debian copyright file.
        parts = [p.strip() for p in re.split(r"\s+AND\s+", expr)]
        bundled_ok = len(parts) > 1 and lic_ok(parts[0]) and all(lic_ok(p, SECONDARY_OK) for p in parts[1:])
        return (expr, None) if lic_ok(expr) or bundled_ok else (None, f"licence {expr!r} not in the allowed list")
    named_licences = [c for c in classifiers if c not in APPROVAL_MARKERS]
    mapped = [CLASSIFIER_LICENCES.get(c) for c in named_licences]
    if mapped and not all(mapped):
        return None, "licence classifier not recognised as permissive: " + ",".join(
            c for c in named_licences if c not in CLASSIFIER_LICENCES)
    if mapped:
        return " AND ".join(sorted(set(mapped))), None
    if field and len(field) < 80 and lic_ok(field, DIST_PERMISSIVE):
        return field, None
    inferred = infer_license_text(field) if field else None
    if inferred:
        return inferred, None
    return None, "licence not recognised as permissive: " + (field[:40] or ",".join(classifiers) or "none")


def read_split(path):
    with lzma.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def heldout_names(heldout):
    """Held-out package names as distributions would spell them (Debian's python3-foo is foo)."""
    names = set()
    for d in heldout:
        name = d["package"]
        names.add(normalise(re.sub(r"^python3-", "", name)))
    return names


def python_files(dist):
    base = dist.locate_file("")
    for f in dist.files or []:
        rel = str(f)
        if rel.endswith(".py") and not rel.startswith(".."):
            yield rel, os.path.join(str(base), rel)


def stdlib_files():
    root = sysconfig.get_paths()["stdlib"]
    for dp, dns, fns in os.walk(root):
        top = os.path.relpath(dp, root).split(os.sep)[0]
        if top in ("site-packages", "dist-packages", "lib-dynload") or top.startswith("config-"):
            dns[:] = []
            continue
        dns.sort()
        for fn in sorted(fns):
            if fn.endswith(".py"):
                full = os.path.join(dp, fn)
                yield os.path.relpath(full, root), full


def read_source(rel, full, drops):
    if os.path.islink(full) or VENDOR_RE.search(rel):
        drops["vendored_or_link"] = drops.get("vendored_or_link", 0) + 1
        return None
    try:
        with open(full, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError:
        drops["unreadable"] = drops.get("unreadable", 0) + 1
        return None
    text, why = check_text(raw, rel, False)
    if why:
        drops[why] = drops.get(why, 0) + 1
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="folder with the uploaded train.jsonl.xz and heldout.jsonl.xz")
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    heldout = read_split(os.path.join(args.data, "heldout.jsonl.xz"))
    uploaded = read_split(os.path.join(args.data, "train.jsonl.xz"))
    excluded = heldout_names(heldout)
    log(f"{len(heldout)} held-out and {len(uploaded)} uploaded train files; {len(excluded)} held-out names excluded")

    drops, manifest, records, texts = {}, [], [], []
    py_version = "%d.%d" % sys.version_info[:2]
    sources = [("python-stdlib", py_version, "PSF-2.0", stdlib_files())]
    seen_names = set()
    for dist in sorted(metadata.distributions(), key=lambda d: normalise(d.metadata["Name"] or "")):
        name = normalise(dist.metadata["Name"] or "")
        if not name or name in seen_names:
            continue
        seen_names.add(name)
        if name in excluded:
            manifest.append((name, dist.version, "", 0, 0, "held-out package name"))
            continue
        if name.startswith(SKIP_PREFIXES):
            manifest.append((name, dist.version, "", 0, 0, "vendor binaries"))
            continue
        licence, why = distribution_licence(dist)
        if why:
            manifest.append((name, dist.version, "", 0, 0, why))
            continue
        sources.append((name, dist.version, licence, python_files(dist)))

    start = {}
    for name, version, licence, files in sources:
        start[name] = len(texts)
        for rel, full in files:
            # A vendored copy of a held-out package under another name is skipped too.
            if any(normalise(part) in excluded for part in rel.split("/")[:-1]):
                drops["heldout_module"] = drops.get("heldout_module", 0) + 1
                continue
            text = read_source(rel, full, drops)
            if text is not None:
                records.append({"package": name, "version": version, "license": licence, "path": rel,
                                "lang": "py", "source": "gpu-box"})
                texts.append(text)
    log(f"read {len(texts)} files, {sum(map(len, texts)) / 2**20:.1f} MiB, from {len(sources)} sources; drops {drops}")

    # Exact and near duplicates, in priority order: held-out, uploaded train, then what the box adds.
    prior = [d["text"] for d in heldout if d["lang"] == "py"] + [d["text"] for d in uploaded if d["lang"] == "py"]
    seen = {norm_hash(t) for t in prior}
    keep = []
    for i, t in enumerate(texts):
        h = norm_hash(t)
        if h not in seen:
            seen.add(h)
            keep.append(i)
    exact = len(texts) - len(keep)
    records, texts = [records[i] for i in keep], [texts[i] for i in keep]
    dropped = near_dedup(prior + texts, jobs=args.jobs)
    near = {i - len(prior) for i in dropped if i >= len(prior)}
    log(f"duplicates dropped: {exact} exact, {len(near)} near")

    totals = {}
    with open(os.path.join(args.out, "train-extra.jsonl"), "w", encoding="utf-8") as f:
        for i, (r, t) in enumerate(zip(records, texts)):
            if i in near:
                continue
            f.write(json.dumps(dict(r, text=t), ensure_ascii=False) + "\n")
            tot = totals.setdefault((r["package"], r["version"], r["license"]), [0, 0])
            tot[0] += 1
            tot[1] += len(t.encode("utf-8", "surrogatepass"))
    for (name, version, licence), (files, size) in totals.items():
        manifest.append((name, version, licence, files, size, ""))
    manifest.sort()
    with open(os.path.join(args.out, "site-packages.tsv"), "w") as f:
        f.write("package\tversion\tlicense\tfiles_kept\tbytes_kept\tnote\n")
        for row in manifest:
            f.write("\t".join(str(x) for x in row) + "\n")
    kept = sum(v[1] for v in totals.values())
    log(f"kept {sum(v[0] for v in totals.values())} files, {kept / 2**20:.1f} MiB from {len(totals)} sources")


if __name__ == "__main__":
    main()
