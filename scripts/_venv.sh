# Sourced by the scripts. Creates (once) and fills virtual environments;
# PYTHON picks the interpreter (default python3; 3.10 to 3.13 are supported).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${PYTHON:=python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# make_venv DIR PIP-ARGS...: create DIR if missing and install PIP-ARGS into it,
# skipping the install when the same arguments were installed there before.
make_venv() {
  local dir=$1; shift
  local stamp="$dir/.aiobs-installed"
  if [ ! -x "$dir/bin/python" ]; then
    "$PYTHON" -m venv "$dir"
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$* $(git rev-parse HEAD:pyproject.toml 2>/dev/null)" ]; then
    echo "== installing into $dir: $*"
    "$dir/bin/python" -m pip install -q "$@"
    echo "$* $(git rev-parse HEAD:pyproject.toml 2>/dev/null)" > "$stamp"
  fi
}
