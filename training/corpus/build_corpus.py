#!/usr/bin/env python3
"""Build the Locus code-model training corpus (GitHub issue #3, "Corpus").

Stdlib only.  Sources (pinned in training/corpus/packages.tsv):
  * npm packages  (fetched with `npm pack name@version`, read with tarfile)
  * Debian python3-* packages (fetched with `apt-get download name=version`,
    unpacked with `dpkg-deb -x`; licence from /usr/share/doc/<pkg>/copyright)
  * the local CPython 3.11 standard library (/usr/lib/python3.11, PSF)

Outputs (git-ignored):   training/data/{train,heldout}.jsonl.xz
Manifest (committed):    training/manifest/{packages.tsv,stats.json}

Usage:  python3 training/corpus/build_corpus.py            # everything
        python3 training/corpus/build_corpus.py --fetch-only
        python3 training/corpus/build_corpus.py --limit 20 # smoke build
"""
import argparse
import hashlib
import io
import json
import lzma
import multiprocessing as mp
import os
import random
import shutil
import re
import subprocess
import sys
import tarfile
import time
import zlib
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
PKG_LIST = os.path.join(HERE, "packages.tsv")
CACHE = os.path.join(TRAINING, "work", "corpus-cache")
DATA = os.path.join(TRAINING, "data")
MANIFEST = os.path.join(TRAINING, "manifest")
STDLIB_DIR = "/usr/lib/python3.11"

SEED = 20261123
MAX_BYTES = 1 << 20
MIN_BYTES = 100
# The compressed train split travels to the GPU box with the repository (64 MiB in all), so it is capped; the box
# adds Python from its own interpreter's packages (harvest_site_packages.py). 54 MiB fits when the call that starts
# the release sends the tree without the shipped ONNX files and bench/results (about 7.2 MiB left; see
# training/device_job.sh).
TRAIN_XZ_MIB = 54

JS_EXT = (".js", ".mjs", ".cjs", ".jsx")
TS_EXT = (".ts", ".tsx", ".mts", ".cts")
PY_EXT = (".py",)

log_t0 = time.time()


def log(*a):
    print("[%6.1fs]" % (time.time() - log_t0), *a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Licences
# --------------------------------------------------------------------------
PERMISSIVE = {
    "mit", "expat", "mit/x11", "x11", "apache-2.0", "apache-2", "apache2", "apache 2.0",
    "apache-2.0+", "apache license 2.0", "apache license, version 2.0",
    "bsd-2-clause", "bsd-3-clause", "bsd-2", "bsd-3", "bsd", "simplified bsd",
    "new bsd", "bsd-3-clause-lbnl", "isc", "psf", "psf-2", "psf-2.0", "python",
    "python-2.0", "psfl", "0bsd", "unlicense", "bsd-3-clause-clear", "apache", "apache-2.0+",
    "bsd-3-clauses", "bsd-3", "psf-2", "psfl-2", "python-2", "psf-2.0+",
}
# accepted only for secondary stanzas of a Debian copyright file
SECONDARY_OK = PERMISSIVE | {
    "public-domain", "public domain", "zlib", "cc0", "cc0-1.0", "hpnd", "bsl-1.0",
    "unicode", "unicode-dfs-2016", "mit-0", "ofl-1.1", "apache", "mit-style", "bsd-style", "bsd-3-clauses", "cc-by-4.0", "cc-by-3.0", "w3c",
    "bsd-4-clause-uc", "historical", "mit-cmu", "other-permissive", "permissive",
}
COPYLEFT = re.compile(r"\b(a?gpl|lgpl|mpl|epl|cddl|cc-by-sa|cc-by-nc|non-free|sspl|eupl|osl|artistic)", re.I)


def norm_lic(s):
    s = s.strip().strip("()").strip().lower()
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r"-clause$", "-clause", s)
    s = s.replace("bsd-3-clause-modification", "bsd-3-clause")
    return s


def lic_ok(expr, allowed=PERMISSIVE):
    """SPDX/DEP-5 expression: OR -> any branch ok, AND -> all ok."""
    if not expr:
        return False
    e = expr.strip()
    for alt in re.split(r"\s+or\s+|\s*\|\s*", e, flags=re.I):
        parts = re.split(r"\s+and\s+|\s*,\s*", alt.strip().strip("()"), flags=re.I)
        if all(norm_lic(p) in allowed or norm_lic(re.sub(r"\s+with\s+.*$", "", p, flags=re.I)) in allowed
               for p in parts if p.strip()):
            return True
    return False


def npm_license(pkgjson):
    lic = pkgjson.get("license")
    if isinstance(lic, dict):
        lic = lic.get("type")
    if not lic and isinstance(pkgjson.get("licenses"), list):
        lics = [l.get("type") if isinstance(l, dict) else str(l) for l in pkgjson["licenses"]]
        lic = " OR ".join(x for x in lics if x)
    return (lic or "").strip()


def infer_license_text(text):
    if re.search(r"Redistribution and use in source and binary forms", text):
        return "BSD-3-Clause" if re.search(r"endorse or promote|names of (its|the) contributors", text, re.I) \
            else "BSD-2-Clause"
    if re.search(r"Permission is hereby granted, free of charge", text):
        return "MIT"
    if re.search(r"Apache License,? Version 2\.0", text):
        return "Apache-2.0"
    if re.search(r"PYTHON SOFTWARE FOUNDATION LICENSE", text):
        return "PSF-2.0"
    return None


def debian_license(copyright_text):
    """Parse a Debian copyright file.

    Returns (primary_licence, ok, reason, exclude_globs): exclude_globs are the
    `Files:` patterns of non-permissive parts; matching .py files are dropped."""
    stanzas = re.split(r"\n\s*\n", copyright_text)
    if not re.search(r"^Format:", copyright_text, re.M):
        # free-form file: infer; any copyleft mention rejects the package
        if COPYLEFT.search(re.sub(r"/usr/share/common-licenses/\S+", "", copyright_text)) and \
                re.search(r"\b(L?GPL|General Public License|Mozilla Public)", copyright_text):
            return None, False, "free-form copyright mentions a copyleft licence", []
        lic = infer_license_text(copyright_text)
        if lic:
            return lic, True, "", []
        return None, False, "copyright file not machine-readable", []
    primary, header_lic, excl = None, None, []
    for k, st in enumerate(stanzas):
        m_files = re.search(r"^Files:\s*(.*(?:\n[ \t]+.*)*)", st, re.M)
        m_lic = re.search(r"^License:[ \t]*(.*)$", st, re.M)
        if not m_lic:
            continue
        lic = m_lic.group(1).strip()
        if not lic or not lic_ok(lic, SECONDARY_OK):
            body = st[m_lic.end():]
            inferred = infer_license_text(body) if not COPYLEFT.search(lic) else None
            if inferred and (not lic or not COPYLEFT.search(lic)):
                lic = inferred
        if not m_files:
            if k == 0 or re.search(r"^Format:", st, re.M):
                header_lic = lic
            continue
        files = m_files.group(1).split()
        if all(f.startswith("debian/") for f in files):
            continue
        if "*" in files and primary is None:
            primary = lic
            continue
        if not lic_ok(lic, SECONDARY_OK):
            # only parts that can contain Python matter
            pyish = [f for f in files if f.endswith((".py", "*", "/")) or "." not in f.rsplit("/", 1)[-1]]
            excl.extend(pyish)
    if primary is None:
        primary = header_lic
    if not primary:
        return None, False, "no licence for 'Files: *'", excl
    if not lic_ok(primary):
        return primary, False, "primary licence %r" % primary, excl
    return primary, True, "", excl


def excluded_by_globs(rel, globs):
    import fnmatch
    for g in globs:
        g = g.rstrip("/") + ("/*" if g.endswith("/") else "")
        for v in (g, re.sub(r"^(src|lib|Lib|python)/", "", g)):
            if fnmatch.fnmatch(rel, v) or fnmatch.fnmatch(rel, "*/" + v):
                return True
    return False


# --------------------------------------------------------------------------
# Package list and fetching
# --------------------------------------------------------------------------
def read_packages():
    pkgs = []
    with open(PKG_LIST) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            src, name, ver = cols[:3]
            p = {"source": src, "name": name, "version": ver}
            if len(cols) > 3 and cols[3].startswith("license="):
                # manual licence override (Debian copyright files that are not DEP-5)
                p["license_override"] = cols[3][len("license="):]
            pkgs.append(p)
    return pkgs


def npm_tgz(p):
    return os.path.join(CACHE, "npm", p["name"].lstrip("@").replace("/", "-") + "-" + p["version"] + ".tgz")


def deb_dir(p):
    return os.path.join(CACHE, "deb-x", p["name"])


def fetch_one(p):
    if p["source"] == "npm":
        out = npm_tgz(p)
        if os.path.exists(out):
            return p, "cached"
        os.makedirs(os.path.dirname(out), exist_ok=True)
        r = subprocess.run(["npm", "pack", "--silent", "--ignore-scripts", "%s@%s" % (p["name"], p["version"]),
                            "--pack-destination", os.path.dirname(out)],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0 or not os.path.exists(out):
            return p, "fail: " + (r.stderr.strip().splitlines() or ["?"])[-1][:200]
        return p, "ok"
    if p["source"] == "debian":
        xd = deb_dir(p)
        if os.path.exists(os.path.join(xd, ".done")):
            return p, "cached"
        dd = os.path.join(CACHE, "deb")
        os.makedirs(dd, exist_ok=True)
        r = subprocess.run(["apt-get", "download", "-q", "%s=%s" % (p["name"], p["version"])],
                           cwd=dd, capture_output=True, text=True, timeout=600)
        debs = [f for f in os.listdir(dd) if f.startswith(p["name"] + "_") and f.endswith(".deb")]
        if r.returncode != 0 or not debs:
            return p, "fail: " + (r.stderr.strip().splitlines() or ["?"])[-1][:200]
        os.makedirs(xd, exist_ok=True)
        r = subprocess.run(["dpkg-deb", "-x", os.path.join(dd, sorted(debs)[-1]), xd], capture_output=True, text=True)
        if r.returncode != 0:
            return p, "fail: dpkg-deb " + r.stderr[:200]
        open(os.path.join(xd, ".done"), "w").close()
        return p, "ok"
    return p, "local"


def fetch_all(pkgs, jobs=4):
    status = {}
    with ThreadPoolExecutor(jobs) as ex:
        for i, (p, st) in enumerate(ex.map(fetch_one, pkgs)):
            status[(p["source"], p["name"])] = st
            if st.startswith("fail"):
                log("fetch", p["source"], p["name"], st)
            if (i + 1) % 50 == 0:
                log("fetched %d/%d" % (i + 1, len(pkgs)))
    return status


# --------------------------------------------------------------------------
# File filters
# --------------------------------------------------------------------------
VENDOR_RE = re.compile(r"(^|/)(node_modules|vendor|vendors|vendored|_vendor|third_party|third-party|"
                       r"thirdparty|bower_components|externals?|_extern|umd|bundles?|coverage|"
                       r"__snapshots__|\.git|min|min-maps)(/|$)", re.I)
BUNDLE_NAME_RE = re.compile(r"(\.min\.|\.bundle\.|\.umd\.|\.iife\.|\.global\.|\.prod\.|\.production\.|"
                            r"-min\.|\.packed\.|\.browser\.min|\.slim\.)|"
                            r"[-.](?=[A-Za-z0-9_]*[0-9])(?=[A-Za-z0-9_]*[A-Z])[A-Za-z0-9_]{8}\.[mc]?js$")
SNAP_RE = re.compile(r"(\.snap$|\.snap\.|_snapshot|\.snapshot\.)", re.I)
GEN_RE = re.compile(r"^\s*(//+|#+|\*|/\*+|\"\"\"|\'\'\')(\s*(auto-?)?generated (by|from|with|automatically)|"
                    r"[^\n]*?\b(auto-?generated|automatically generated|do not (edit|modify)|@generated|code generated|"
                    r"(this|the) (file|code|module|source)( \w+)? (is|was|has been) (auto(matically)?[- ])?generated))",
                    re.I | re.M)
BUILD_DIR_RE = re.compile(r"(^|/)(dist|lib|build|esm|esm5|esm2015|es|cjs|out|types|typings|fesm\d*|"
                          r"_cjs|_esm|_types|dist-es|dist-cjs|dist-types|module|commonjs)(/|$)")
SRCMAP_RE = re.compile(r"^\s*//[#@] sourceMappingURL=.*$", re.M)
ESBUILD_MARK_RE = re.compile(r"^// (src|node_modules|\.\./)[^\n]*\.(m?[jt]sx?)$", re.M)


def lang_of(path):
    if path.endswith(PY_EXT):
        return "py"
    if path.endswith(TS_EXT):
        return "ts"
    if path.endswith(JS_EXT):
        return "js"
    return None


def is_decl(path):
    return bool(re.search(r"\.d\.[mc]?ts$", path))


def check_text(raw, path, is_js_like):
    """Return (text, None) or (None, reason)."""
    if len(raw) > MAX_BYTES:
        return None, "too_large"
    if b"\x00" in raw:
        return None, "binary"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "non_utf8"
    if text.startswith("\ufeff"):
        text = text[1:]
    if is_js_like:
        text = SRCMAP_RE.sub("", text)
    text = text.replace("\r\n", "\n")
    if len(text.encode("utf-8")) < MIN_BYTES or not text.strip():
        return None, "too_small"
    lines = text.split("\n")
    nonempty = [l for l in lines if l.strip()]
    if not nonempty:
        return None, "too_small"
    if max(len(l) for l in lines) > 2000 or sum(len(l) for l in nonempty) / len(nonempty) > 300:
        return None, "minified"
    head = "\n".join(lines[:25])
    if GEN_RE.search(head):
        return None, "generated"
    if is_js_like and len(ESBUILD_MARK_RE.findall(text)) >= 3:
        return None, "bundled"
    if is_js_like and ("__webpack_require__" in text or "/******/" in text):
        return None, "bundled"
    return text, None


# --------------------------------------------------------------------------
# Collection per source
# --------------------------------------------------------------------------
def collect_npm(p, drops):
    tgz = npm_tgz(p)
    files = {}
    pkgjson, license_texts = {}, []
    with tarfile.open(tgz, "r:gz") as tf:
        for m in tf.getmembers():
            if not m.isfile():
                continue
            parts = m.name.split("/", 1)
            if len(parts) < 2:
                continue
            rel = parts[1]
            base = rel.rsplit("/", 1)[-1]
            if rel == "package.json":
                try:
                    pkgjson = json.loads(tf.extractfile(m).read().decode("utf-8", "replace"))
                except Exception:
                    pkgjson = {}
                continue
            if "/" not in rel and re.match(r"(licen[cs]e|copying)", base, re.I):
                license_texts.append(tf.extractfile(m).read(20000).decode("utf-8", "replace"))
                continue
            if lang_of(rel) is None:
                continue
            files[rel] = (m.size, tf.extractfile(m).read() if m.size <= MAX_BYTES else b"")
    lic = npm_license(pkgjson)
    info = {"license": lic}
    if not lic_ok(lic):
        info["skip"] = "licence %r not permissive" % lic
        return info, []
    for t in license_texts:
        if re.search(r"GNU (LESSER |AFFERO )?GENERAL PUBLIC LICENSE|Mozilla Public License", t) and \
                not re.search(r"\bMIT\b|Apache License|BSD", t[:3000]):
            info["skip"] = "LICENSE file is copyleft"
            return info, []
    # Does the package ship real TypeScript sources?
    ts_src = [f for f in files if f.endswith(TS_EXT) and not is_decl(f) and not VENDOR_RE.search(f)]
    n_js = sum(1 for f in files if f.endswith(JS_EXT))
    has_ts_src = len(ts_src) >= 3 and len(ts_src) >= 0.15 * n_js
    out = []
    for rel in sorted(files):
        size, raw = files[rel]
        lang = lang_of(rel)
        if VENDOR_RE.search(rel):
            drops["vendored"] = drops.get("vendored", 0) + 1
            continue
        if BUNDLE_NAME_RE.search(rel.rsplit("/", 1)[-1]):
            drops["bundled"] = drops.get("bundled", 0) + 1
            continue
        if SNAP_RE.search(rel):
            drops["snapshot"] = drops.get("snapshot", 0) + 1
            continue
        if has_ts_src and (lang == "js" or (is_decl(rel) and BUILD_DIR_RE.search(rel))):
            drops["compiled_output_of_shipped_src"] = drops.get("compiled_output_of_shipped_src", 0) + 1
            continue
        if lang == "js" and re.search(r"(^|/)dist/", rel) and size > 200_000:
            drops["bundled"] = drops.get("bundled", 0) + 1
            continue
        text, why = check_text(raw if size <= MAX_BYTES else b"x" * (MAX_BYTES + 1), rel, True)
        if why:
            drops[why] = drops.get(why, 0) + 1
            continue
        out.append({"path": rel, "lang": lang, "text": text})
    return info, out


PY_SITE = "usr/lib/python3/dist-packages/"


def collect_debian(p, drops, all_pkgs_dirs):
    xd = deb_dir(p)
    cp = os.path.join(xd, "usr/share/doc", p["name"], "copyright")
    docdir = os.path.join(xd, "usr/share/doc", p["name"])
    if os.path.islink(docdir) or not os.path.exists(cp):
        # doc dir symlinked to a sibling package (e.g. python3-foo-lib -> python3-foo)
        tgt = os.readlink(docdir) if os.path.islink(docdir) else None
        sib = os.path.join(CACHE, "deb-x", tgt, "usr/share/doc", tgt, "copyright") if tgt else None
        cp = sib if sib and os.path.exists(sib) else None
    info = {}
    excl = []
    if p.get("license_override"):
        info["license"] = p["license_override"]
    elif not cp:
        info["skip"] = "no copyright file"
        return info, []
    else:
        with open(cp, encoding="utf-8", errors="replace") as f:
            primary, ok, reason, excl = debian_license(f.read())
        info["license"] = primary or "?"
        if not ok:
            info["skip"] = reason
            return info, []
    out = []
    for dp, dns, fns in os.walk(xd):
        dns.sort()
        for fn in sorted(fns):
            full = os.path.join(dp, fn)
            if not fn.endswith(".py") or os.path.islink(full):
                continue
            rel = os.path.relpath(full, xd)
            for pre in (PY_SITE, "usr/lib/python3.11/", "usr/share/doc/"):
                if rel.startswith(pre):
                    rel = rel[len(pre):]
                    break
            if VENDOR_RE.search(rel):
                drops["vendored"] = drops.get("vendored", 0) + 1
                continue
            if SNAP_RE.search(rel):
                drops["snapshot"] = drops.get("snapshot", 0) + 1
                continue
            if excl and excluded_by_globs(rel, excl):
                drops["non_permissive_part"] = drops.get("non_permissive_part", 0) + 1
                continue
            with open(full, "rb") as f:
                raw = f.read(MAX_BYTES + 1)
            text, why = check_text(raw, rel, False)
            if why:
                drops[why] = drops.get(why, 0) + 1
                continue
            out.append({"path": rel, "lang": "py", "text": text})
    return info, out


def collect_stdlib(p, drops):
    out = []
    for dp, dns, fns in os.walk(STDLIB_DIR):
        rel_dp = os.path.relpath(dp, STDLIB_DIR)
        if rel_dp.split("/")[0] in ("site-packages", "dist-packages", "config-3.11-x86_64-linux-gnu", "lib-dynload"):
            dns[:] = []
            continue
        dns.sort()
        for fn in sorted(fns):
            if not fn.endswith(".py"):
                continue
            full = os.path.join(dp, fn)
            rel = os.path.relpath(full, STDLIB_DIR)
            if os.path.islink(full):
                continue
            with open(full, "rb") as f:
                raw = f.read(MAX_BYTES + 1)
            text, why = check_text(raw, rel, False)
            if why:
                drops[why] = drops.get(why, 0) + 1
                continue
            out.append({"path": rel, "lang": "py", "text": text})
    return {"license": "PSF-2.0"}, out


# --------------------------------------------------------------------------
# Deduplication
# --------------------------------------------------------------------------
NUM_BINS = 128
BANDS, ROWS = 16, 8          # 16*8 = 128; S-curve threshold ~ (1/16)^(1/8) = 0.71
JACCARD = 0.8
MASK = (1 << 64) - 1
_WORD_IDS = {}


def _wid(w, _d=_WORD_IDS):
    v = _d.get(w)
    if v is None:
        v = zlib.crc32(w.encode("utf-8", "surrogatepass"))
        _d[w] = v
    return v


def minhash(text):
    """One-permutation MinHash with rotation densification over word 5-shingles.

    Shingle hash = hash(tuple of 5 word ids): tuple-of-int hashing is not salted
    by PYTHONHASHSEED, so signatures are reproducible."""
    words = text.split()
    if len(words) < 5:
        return None
    ids = [_wid(w) for w in words]
    if len(_WORD_IDS) > 2_000_000:
        _WORD_IDS.clear()
    inf = 1 << 64
    sig = [inf] * NUM_BINS
    for t in set(zip(ids, ids[1:], ids[2:], ids[3:], ids[4:])):
        h = (hash(t) * 0x9E3779B97F4A7C15) & MASK
        b = h & 127
        v = h >> 7
        if v < sig[b]:
            sig[b] = v
    # densify empty bins from the next non-empty bin (circular)
    if inf in sig:
        filled = [i for i in range(NUM_BINS) if sig[i] != inf]
        for i in range(NUM_BINS):
            if sig[i] == inf:
                j = next((k for k in filled if k > i), filled[0])
                sig[i] = sig[j] + (((j - i) % NUM_BINS) << 57)
    return sig


def _mh_worker(texts):
    return [minhash(t) for t in texts]


def near_dedup(docs, jobs=2):
    """docs: list of texts in priority order. Returns set of indices to drop."""
    chunks = [docs[i:i + 500] for i in range(0, len(docs), 500)]
    sigs = []
    with mp.Pool(jobs) as pool:
        for res in pool.imap(_mh_worker, chunks):
            sigs.extend(res)
            if len(sigs) % 20000 < 500:
                log("minhash %d/%d" % (len(sigs), len(docs)))
    parent = list(range(len(docs)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    drop = set()
    buckets = [dict() for _ in range(BANDS)]
    compared = 0
    for i, s in enumerate(sigs):
        if s is None:
            continue
        cands = set()
        for b in range(BANDS):
            key = hash(tuple(s[b * ROWS:(b + 1) * ROWS]))
            lst = buckets[b].get(key)
            if lst is None:
                buckets[b][key] = [i]
            else:
                cands.update(lst[:20])
                if len(lst) < 50:
                    lst.append(i)
        for j in sorted(cands):
            if j in drop:
                continue
            compared += 1
            sj = sigs[j]
            same = sum(1 for a, c in zip(s, sj) if a == c)
            if same / NUM_BINS >= JACCARD:
                drop.add(i)
                break
    log("near-dup: %d compared, %d dropped" % (compared, len(drop)))
    return drop


def norm_hash(text):
    norm = "\n".join(l.strip() for l in text.split("\n") if l.strip())
    return hashlib.sha1(norm.encode("utf-8", "surrogatepass")).digest()


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------
def write_xz(path, records, preset, extreme=False, threads=4):
    """Write JSONL records to path (.xz).  Uses the xz CLI (multi-threaded, same
    .xz format) when present, otherwise Python's lzma."""
    tmp = path + ".tmp"
    raw = 0
    xz = shutil.which("xz")
    rawpath = path[:-3] + ".raw.tmp" if xz else None
    f = open(rawpath, "wb") if xz else lzma.open(tmp, "wb", preset=preset | (lzma.PRESET_EXTREME if extreme else 0))
    with f:
        buf = []
        for r in records:
            line = (json.dumps(r, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")
            raw += len(line)
            buf.append(line)
            if len(buf) >= 2000:
                f.write(b"".join(buf))
                buf = []
        f.write(b"".join(buf))
    if xz:
        with open(tmp, "wb") as out:
            subprocess.run([xz, "-T%d" % threads, "--block-size=%d" % (64 << 20),
                            "-%d%s" % (preset, "e" if extreme else ""), "-c", rawpath],
                           stdout=out, check=True)
        os.remove(rawpath)
    os.replace(tmp, path)
    return raw, os.path.getsize(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fetch-only", action="store_true")
    ap.add_argument("--no-fetch", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="smoke build: first N packages per source")
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--out", default=DATA)
    ap.add_argument("--manifest", default=MANIFEST)
    ap.add_argument("--heldout-frac", type=float, default=0.05)
    ap.add_argument("--xz-preset", type=int, default=9)
    ap.add_argument("--xz-extreme", action="store_true")
    ap.add_argument("--train-xz-mib", type=float, default=TRAIN_XZ_MIB,
                    help="cap on the compressed train split (it travels to the GPU box)")
    args = ap.parse_args()
    train_xz_limit = int(args.train_xz_mib * (1 << 20))

    pkgs = read_packages()
    if args.limit:
        by = {}
        for p in pkgs:
            by.setdefault(p["source"], []).append(p)
        pkgs = [p for src in by for p in by[src][:args.limit]]
    log("%d packages in list" % len(pkgs))
    if not args.no_fetch:
        fetch_status = fetch_all([p for p in pkgs if p["source"] != "stdlib"], args.jobs)
    else:
        fetch_status = {}
    if args.fetch_only:
        return

    drops = {}
    records = []      # dicts without text + texts list in parallel
    texts = []
    pkg_info = {}
    for n, p in enumerate(pkgs):
        key = (p["source"], p["name"])
        info = {"source": p["source"], "name": p["name"], "version": p["version"]}
        pkg_info[key] = info
        st = fetch_status.get(key, "")
        try:
            if p["source"] == "npm":
                if not os.path.exists(npm_tgz(p)):
                    info["skip"] = "fetch failed " + st
                    continue
                i2, files = collect_npm(p, drops)
            elif p["source"] == "debian":
                if not os.path.exists(os.path.join(deb_dir(p), ".done")):
                    info["skip"] = "fetch failed " + st
                    continue
                i2, files = collect_debian(p, drops, None)
            else:
                i2, files = collect_stdlib(p, drops)
        except Exception as e:  # broken archive etc.
            info["skip"] = "error %r" % e
            continue
        info.update(i2)
        if "skip" in info:
            log("skip", p["name"], info["skip"])
            continue
        if not files:
            info["skip"] = "no usable source files"
        for f in files:
            records.append({"package": p["name"], "version": p["version"], "license": info["license"],
                            "path": f["path"], "lang": f["lang"], "source": p["source"]})
            texts.append(f["text"])
        if (n + 1) % 100 == 0:
            log("collected %d packages, %d files, %.1f MiB" % (n + 1, len(texts),
                                                                sum(map(len, texts)) / 2**20))
    total_in = len(texts)
    log("collected %d files, %.1f MiB" % (total_in, sum(len(t) for t in texts) / 2**20))

    # exact dedup (normalised text); keep first in list order
    seen = set()
    keep = []
    exact_dups = 0
    for i, t in enumerate(texts):
        h = norm_hash(t)
        if h in seen:
            exact_dups += 1
            continue
        seen.add(h)
        keep.append(i)
    log("exact dups dropped: %d" % exact_dups)
    records = [records[i] for i in keep]
    texts = [texts[i] for i in keep]
    ndrop = near_dedup(texts, jobs=2)
    near_dups = len(ndrop)
    records = [r for i, r in enumerate(records) if i not in ndrop]
    texts = [t for i, t in enumerate(texts) if i not in ndrop]

    # per-package totals
    for r, t in zip(records, texts):
        info = pkg_info[(r["source"], r["package"])]
        info["files"] = info.get("files", 0) + 1
        info["bytes"] = info.get("bytes", 0) + len(t.encode("utf-8", "surrogatepass"))
        info.setdefault("langs", {})
        info["langs"][r["lang"]] = info["langs"].get(r["lang"], 0) + 1

    # ---- split by package ----
    heldout = set()
    groups = {"npm": [], "pyext": []}
    lang_total = {"npm": 0, "pyext": 0}
    for key, info in pkg_info.items():
        if not info.get("files"):
            continue
        if info["source"] == "stdlib":
            continue  # always train
        g = "npm" if info["source"] == "npm" else "pyext"
        groups[g].append(key)
        lang_total[g] += info["bytes"]
    for g, keys in groups.items():
        keys.sort(key=lambda k: hashlib.sha256(("%s:%s" % (SEED, k[1])).encode()).hexdigest())
        want_n = max(2, round(len(keys) * args.heldout_frac))
        cap = lang_total[g] * 0.03          # no single package > 3% of its group in held-out
        got_b = 0
        for k in keys:
            b = pkg_info[k]["bytes"]
            if b > cap:
                continue
            if len([x for x in heldout if x in keys]) >= want_n and got_b >= min(4 * 2**20, lang_total[g] * 0.1):
                break
            heldout.add(k)
            got_b += b
    for key, info in pkg_info.items():
        if info.get("files"):
            info["split"] = "heldout" if key in heldout else "train"

    train_idx = [i for i, r in enumerate(records) if (r["source"], r["package"]) not in heldout]
    held_idx = [i for i, r in enumerate(records) if (r["source"], r["package"]) in heldout]
    random.Random(SEED).shuffle(train_idx)

    def recs(idx):
        for i in idx:
            r = records[i]
            yield {"package": r["package"], "version": r["version"], "license": r["license"],
                   "path": r["path"], "lang": r["lang"], "text": texts[i]}

    os.makedirs(args.out, exist_ok=True)
    preset = args.xz_preset
    capped = 0

    def cap_train(train_idx, target_chars):
        """Drop train files until the text is <= target_chars: Python first (the GPU box has plenty of its own),
        largest first, then the largest JavaScript/TypeScript, declaration files last (they teach the types
        that TypeScript completions need)."""
        cur = sum(len(texts[i]) for i in train_idx)
        if cur <= target_chars:
            return train_idx, 0
        order = sorted(train_idx, key=lambda i: (records[i]["lang"] != "py", is_decl(records[i]["path"]),
                                                 -len(texts[i])))
        dropset, removed = set(), 0
        for i in order:
            if cur - removed <= target_chars:
                break
            dropset.add(i)
            removed += len(texts[i])
        for i in dropset:
            info = pkg_info[(records[i]["source"], records[i]["package"])]
            info["files"] -= 1
            info["bytes"] -= len(texts[i].encode("utf-8", "surrogatepass"))
            info["langs"][records[i]["lang"]] -= 1
        log("capping train: dropped %d files (%.1f MiB text)" % (len(dropset), removed / 2**20))
        return [i for i in train_idx if i not in dropset], len(dropset)

    # estimate the compression ratio on a 1/40 sample (a sample compresses worse
    # than the whole file, so this errs on the safe side) and cap before writing.
    sample = train_idx[::40]
    s_raw, s_xz = write_xz(os.path.join(args.out, "sample.jsonl.xz"), recs(sample), preset, args.xz_extreme)
    os.remove(os.path.join(args.out, "sample.jsonl.xz"))
    ratio = s_raw / s_xz
    text_per_raw = sum(len(texts[i]) for i in sample) / s_raw
    target = train_xz_limit * 0.97 * ratio * text_per_raw
    log("sample ratio %.2f -> text target %.1f MiB" % (ratio, target / 2**20))
    train_idx, capped = cap_train(train_idx, target)
    log("writing heldout (%d files)" % len(held_idx))
    h_raw, h_xz = write_xz(os.path.join(args.out, "heldout.jsonl.xz"), recs(held_idx), preset, args.xz_extreme)
    log("writing train (%d files)" % len(train_idx))
    t_raw, t_xz = write_xz(os.path.join(args.out, "train.jsonl.xz"), recs(train_idx), preset, args.xz_extreme)
    log("train raw %.1f MiB xz %.1f MiB" % (t_raw / 2**20, t_xz / 2**20))
    while t_xz > train_xz_limit:
        target = sum(len(texts[i]) for i in train_idx) * train_xz_limit / t_xz * 0.97
        train_idx, n = cap_train(train_idx, target)
        capped += n
        t_raw, t_xz = write_xz(os.path.join(args.out, "train.jsonl.xz"), recs(train_idx), preset, args.xz_extreme)
        log("train raw %.1f MiB xz %.1f MiB" % (t_raw / 2**20, t_xz / 2**20))

    # ---- stats ----
    def lang_stats(idx):
        d = {}
        for i in idx:
            lang = records[i]["lang"]
            e = d.setdefault(lang, {"files": 0, "bytes": 0, "packages": set()})
            e["files"] += 1
            e["bytes"] += len(texts[i].encode("utf-8", "surrogatepass"))
            e["packages"].add(records[i]["package"])
        for e in d.values():
            e["packages"] = len(e["packages"])
            e["mib"] = round(e["bytes"] / 2**20, 2)
        return d

    drops["train_cap"] = capped
    n_used = lambda s: len({(records[i]["source"], records[i]["package"]) for i in s})
    stats = {
        "seed": SEED,
        "packages_listed": len(pkgs),
        "packages_used": {"train": n_used(train_idx), "heldout": n_used(held_idx)},
        "packages_skipped": sum(1 for i in pkg_info.values() if "skip" in i),
        "files_after_filters": total_in,
        "exact_duplicates_dropped": exact_dups,
        "near_duplicates_dropped": near_dups,
        "near_dup_method": "one-permutation MinHash (128 bins, densified) over whitespace-word 5-shingles; "
                           "LSH 16 bands x 8 rows; drop if estimated Jaccard >= 0.8",
        "dropped_per_reason": dict(sorted(drops.items())),
        "splits": {
            "train": {"files": len(train_idx), "raw_jsonl_bytes": t_raw, "xz_bytes": t_xz,
                      "by_lang": lang_stats(train_idx)},
            "heldout": {"files": len(held_idx), "raw_jsonl_bytes": h_raw, "xz_bytes": h_xz,
                        "by_lang": lang_stats(held_idx)},
        },
    }
    os.makedirs(args.manifest, exist_ok=True)
    with open(os.path.join(args.manifest, "stats.json"), "w") as f:
        json.dump(stats, f, indent=2, sort_keys=False)
        f.write("\n")
    with open(os.path.join(args.manifest, "packages.tsv"), "w") as f:
        f.write("source\tpackage\tversion\tlicense\tsplit\tfiles_kept\tbytes_kept\tlangs\tnote\n")
        for key in sorted(pkg_info):
            i = pkg_info[key]
            langs = ",".join("%s:%d" % kv for kv in sorted(i.get("langs", {}).items()) if kv[1])
            f.write("\t".join([i["source"], i["name"], i["version"], i.get("license", ""),
                               i.get("split", "-"), str(i.get("files", 0)), str(i.get("bytes", 0)),
                               langs, i.get("skip", "")]) + "\n")
    log(json.dumps(stats["splits"], indent=1))


if __name__ == "__main__":
    main()
