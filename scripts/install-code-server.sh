#!/usr/bin/env bash
# Installs code-server (a real VS Code workbench served over HTTP) for the e2e suite in test/e2e/.
# Idempotent: a finished install leaves a stamp file, and a second run only re-checks it (seconds).
# Debian/Ubuntu only (uses apt-get for chromium, ripgrep and the headers the native modules build against).
#
#   bash scripts/install-code-server.sh            # install or verify
#   LOCUS_CODE_SERVER_DIR=/elsewhere bash ...       # install somewhere else (default test/e2e/.code-server)
#   bash scripts/install-code-server.sh --force    # wipe and reinstall (ignores the cache)
# A finished install is also kept as a tar under ${LOCUS_E2E_CACHE:-~/.cache/locus-e2e}, so a fresh checkout on the
# same machine restores it in seconds instead of rebuilding the native modules (about 2 minutes on 2 cores).
set -euo pipefail

CODE_SERVER_VERSION=4.99.4
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${LOCUS_CODE_SERVER_DIR:-$ROOT/test/e2e/.code-server}"
PKG="$DIR/node_modules/code-server"
VSCODE="$PKG/lib/vscode"
ABI="node$(node -p 'process.versions.modules')-$(node -p 'process.platform + "-" + process.arch')"
STAMP="$DIR/.installed-$CODE_SERVER_VERSION-$ABI"
CACHE_DIR="${LOCUS_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/locus-e2e}"
CACHE_TAR="$CACHE_DIR/code-server-$CODE_SERVER_VERSION-$ABI.tar"
START=$(date +%s)

step() { printf '[install-code-server %3ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }
die() { printf '[install-code-server] ERROR: %s\n' "$*" >&2; exit 1; }

FORCE=0
if [[ "${1:-}" == "--force" ]]; then
  FORCE=1
  step "--force: removing $DIR"
  rm -rf "$DIR"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
[[ "$node_major" == 20 ]] || die "code-server $CODE_SERVER_VERSION needs Node 20 (found $(node -v))."

# Debian packages: chromium drives the workbench (the suite's LOCUS_CHROMIUM picks another); ripgrep replaces
# @vscode/ripgrep's own download, which fails without GitHub; node-gyp needs a compiler, python3 and pkg-config, and
# the native modules need the headers of Kerberos (kerberos), libxkbfile and libsecret.
APT_PKGS=(chromium ripgrep libkrb5-dev libxkbfile-dev libsecret-1-dev pkg-config build-essential python3)
missing=()
for p in "${APT_PKGS[@]}"; do
  if [[ "$p" == python3 ]] && command -v python3 >/dev/null; then continue; fi
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if (( ${#missing[@]} )); then
  step "apt-get install ${missing[*]}"
  SUDO=""; [[ $(id -u) == 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  step "Debian packages present (${APT_PKGS[*]})"
fi

verify() {
  # Loads every native module code-server needs at startup, from its own directory, in this Node.
  (cd "$VSCODE" && node -e '
    const mods = ["kerberos", "node-pty", "@vscode/spdlog", "native-watchdog", "@parcel/watcher", "@vscode/deviceid"];
    for (const m of mods) require(m);
  ') && (cd "$PKG" && node -e 'require("argon2")') && [[ -x "$VSCODE/node_modules/@vscode/ripgrep/bin/rg" ]] \
    && node "$PKG/out/node/entry.js" --version >/dev/null
}

save_cache() {
  step "caching the install in $CACHE_TAR"
  mkdir -p "$CACHE_DIR"
  tar -C "$DIR" -cf "$CACHE_TAR.tmp" . && mv "$CACHE_TAR.tmp" "$CACHE_TAR"
}

if [[ -f "$STAMP" ]]; then
  if verify 2>/dev/null; then
    step "code-server $CODE_SERVER_VERSION already installed and verified in $DIR"
    [[ -f "$CACHE_TAR" ]] || save_cache
    echo "$PKG/out/node/entry.js"
    exit 0
  fi
  step "stamp present but verification failed; reinstalling the broken parts"
  rm -f "$STAMP"
fi

if [[ $FORCE == 0 && ! -f "$STAMP" && -f "$CACHE_TAR" ]]; then
  step "restoring from $CACHE_TAR"
  rm -rf "$DIR" && mkdir -p "$DIR"
  if tar -C "$DIR" -xf "$CACHE_TAR" && [[ -f "$STAMP" ]] && verify 2>/dev/null; then
    step "code-server $CODE_SERVER_VERSION restored and verified in $DIR"
    echo "$PKG/out/node/entry.js"
    exit 0
  fi
  step "the cached install does not verify here; installing from npm"
  rm -rf "$DIR"
fi

export npm_config_unsafe_perm=true
export npm_config_yes=true
# node-gyp: compile each native module on all cores.
export npm_config_jobs=max
export npm_config_audit=false
export npm_config_fund=false
export npm_config_update_notifier=false
# Project .npmrc settings (onnxruntime-node-install) must not leak into code-server's tree.
export npm_config_userconfig="${npm_config_userconfig:-$HOME/.npmrc}"
# node-gyp builds against the running Node's headers (Debian's nodejs ships them under /usr/include/node).
if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node.h ]]; then export npm_config_nodedir=/usr; fi

mkdir -p "$DIR"
cd "$DIR"
[[ -f package.json ]] || printf '{ "name": "locus-e2e-code-server", "private": true }\n' > package.json

if [[ ! -f "$PKG/package.json" ]] || [[ "$(node -p "require('$PKG/package.json').version")" != "$CODE_SERVER_VERSION" ]]; then
  step "npm install code-server@$CODE_SERVER_VERSION --ignore-scripts"
  npm install --no-save --no-package-lock --ignore-scripts "code-server@$CODE_SERVER_VERSION" --loglevel=error
else
  step "code-server $CODE_SERVER_VERSION package present"
fi

if [[ ! -d "$VSCODE/node_modules/@vscode/ripgrep" ]]; then
  step "npm install in lib/vscode (--omit=dev --ignore-scripts)"
  (cd "$VSCODE" && npm install --omit=dev --ignore-scripts --loglevel=error)
else
  step "lib/vscode dependencies present"
fi

step "ripgrep: Debian's rg at @vscode/ripgrep/bin/rg"
mkdir -p "$VSCODE/node_modules/@vscode/ripgrep/bin"
ln -sf "$(command -v rg)" "$VSCODE/node_modules/@vscode/ripgrep/bin/rg"

native_ok() { (cd "$VSCODE" && node -e "require('$1')" >/dev/null 2>&1); }
for m in kerberos node-pty @vscode/spdlog native-watchdog @parcel/watcher @vscode/deviceid; do
  if native_ok "$m"; then
    step "native module $m loads"
  else
    step "rebuilding native module $m (node-gyp, slow on few cores)"
    (cd "$VSCODE" && npm rebuild "$m" --foreground-scripts --loglevel=error) >"$DIR/rebuild-${m//\//_}.log" 2>&1 \
      || { tail -40 "$DIR/rebuild-${m//\//_}.log" >&2; die "npm rebuild $m failed (log: $DIR/rebuild-${m//\//_}.log)"; }
    native_ok "$m" || die "$m still does not load after rebuild"
  fi
done

if [[ ! -d "$VSCODE/extensions/node_modules" ]]; then
  step "npm install in lib/vscode/extensions (--omit=dev --ignore-scripts)"
  (cd "$VSCODE/extensions" && npm install --omit=dev --ignore-scripts --loglevel=error)
else
  step "lib/vscode/extensions dependencies present"
fi

# VS Code resolves some modules through node_modules.asar; code-server ships them unpacked.
if [[ ! -e "$VSCODE/node_modules.asar" ]]; then
  step "linking lib/vscode/node_modules.asar -> node_modules"
  ln -s node_modules "$VSCODE/node_modules.asar"
fi

# The `code-server` CLI inside the integrated terminal and the browser helper (what postinstall.sh links).
ln -sf code-linux.sh "$VSCODE/bin/remote-cli/code-server"
ln -sf browser-linux.sh "$VSCODE/bin/helpers/browser.sh"

if (cd "$PKG" && node -e 'require("argon2")' >/dev/null 2>&1); then
  step "argon2 loads"
else
  step "rebuilding argon2"
  (cd "$DIR" && npm rebuild argon2 --foreground-scripts --loglevel=error) >"$DIR/rebuild-argon2.log" 2>&1 \
    || { tail -40 "$DIR/rebuild-argon2.log" >&2; die "npm rebuild argon2 failed"; }
fi

step "verifying"
verify || die "verification failed: a native module does not load or code-server --version fails"
touch "$STAMP"
save_cache
step "done: code-server $(node "$PKG/out/node/entry.js" --version 2>/dev/null | head -1) in $DIR"
echo "$PKG/out/node/entry.js"
