#!/usr/bin/env bash
# Set up everything the tests need and run them all. Arguments go to pytest.
#   .venv          the package with every extra, and the test tools
#   .venv-aiobs    aiobs 0.2.0: exports are validated with its own models
#   .venv-phoenix  Arize Phoenix: the real OTLP backend of the zero-code tests
#   .venv-aiobs015 aiobs 0.1.5 itself: tests/test_aiobs015_*.py run the same calls
#     under it and under aiobs-otel and compare the files
#   .venv-oldest-openai, .venv-oldest-genai: the oldest SDK releases we support
#     (separate: openai releases before 1.55.3 need httpx < 0.28, google-genai 1.x
#     needs httpx >= 0.28)
#   .venv-openai-responses: the first openai release with the Responses API
#   .venv-py310, .venv-py313: the oldest and newest Python we support (the README's
#     range), newest SDKs, for the suite without the slow integration files
# jq (else Node) reads every export in the reliability tests: a JSON parser that is
# not Python's.
source "$(dirname "$0")/_venv.sh"
OLDEST_OPENAI=${OLDEST_OPENAI:-1.26.0}
OLDEST_GENAI=${OLDEST_GENAI:-1.3.0}
OLDEST_RESPONSES=${OLDEST_RESPONSES:-1.66.0}

# The [http] extra's contrib instrumentations are released together, but one
# (urllib) may lag a release behind: pip before 25.1 then gives up with
# ResolutionImpossible instead of picking the matching older set.
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q "pip>=25.1"
make_venv .venv -e ".[dev,gcs,view]"
make_venv .venv-aiobs "aiobs==0.2.0"
make_venv .venv-phoenix "arize-phoenix==20.26.1"
# aiobs 0.1.5's "openai" extra says openai<2, but its patches (the class attributes
# Completions.create, Embeddings.create, Models.generate_content, Models.generate_videos)
# work unchanged on every release we support: checked with openai 1.109.1 and 3.57.0,
# google-genai 3.6.1. It gets the same SDK releases as .venv, so that SDK differences
# (openai 2 rewrote its error texts, added usage fields) stay out of the comparison.
SDK_RELEASES=$(.venv/bin/python -c 'import openai; from google.genai import version
print(f"openai=={openai.__version__} google-genai=={version.__version__}")')
# shellcheck disable=SC2086  # two requirement words
make_venv .venv-aiobs015 "aiobs==0.1.5" $SDK_RELEASES pytest
# aiobs 0.1.5's usage guide is docs/usage.rst of its sdist: tests/test_aiobs_guide.py runs its examples
if [ ! -f .venv-aiobs015/sdist/aiobs-0.1.5/docs/usage.rst ]; then
  .venv-aiobs015/bin/python -m pip download -q --no-deps --no-binary :all: "aiobs==0.1.5" \
    -d .venv-aiobs015/sdist
  tar -xzf .venv-aiobs015/sdist/aiobs-0.1.5.tar.gz -C .venv-aiobs015/sdist
fi
make_venv .venv-oldest-openai -e . "openai==$OLDEST_OPENAI" "httpx<0.28" pytest pytest-asyncio
make_venv .venv-oldest-genai -e . "google-genai==$OLDEST_GENAI" pytest pytest-asyncio
make_venv .venv-openai-responses -e . "openai==$OLDEST_RESPONSES" pytest pytest-asyncio

if ! command -v jq >/dev/null && ! command -v node >/dev/null; then
  echo "== installing jq (exports are checked with a JSON parser that is not Python's)"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -q && $SUDO apt-get install -y -q jq
fi

# find_python 3.10: an interpreter of that version (PYTHON310 / PYTHON313 win), from
# PATH or pyenv's versions; fails when there is none.
find_python() {
  local version=$1 override="PYTHON${1/./}" root candidate
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  for candidate in ${!override:-} "python$version" "$root"/versions/"$version".*/bin/python; do
    if "$candidate" -c "import sys; sys.exit(sys.version[:len('$version') + 1] != '$version.')" \
        2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Python $version is needed for the test matrix: pyenv install $version (or set $override)" >&2
  return 1
}
PYTHON_MATRIX=(3.10 3.13)
for version in "${PYTHON_MATRIX[@]}"; do
  interpreter=$(find_python "$version")
  venv=".venv-py${version/./}"
  [ -x "$venv/bin/python" ] || "$interpreter" -m venv "$venv"
  "$venv/bin/python" -m pip install -q "pip>=25.1"  # the resolver note at the top
  make_venv "$venv" -e ".[dev,gcs,view]"
done

echo "== lint and types"
.venv/bin/ruff check src tests benchmarks examples
.venv/bin/ruff format --check src tests benchmarks examples
.venv/bin/mypy

# pytest exits 5 when it ran no test: that is a failure here.
run_pytest() {
  local status=0
  "$@" || status=$?
  if [ "$status" -eq 5 ]; then
    echo "pytest ran no test" >&2
    return 1
  fi
  return "$status"
}

echo "== tests (newest SDKs: openai $(.venv/bin/python -c 'import openai; print(openai.__version__)'), google-genai $(.venv/bin/python -c 'from google.genai import version; print(version.__version__)'))"
run_pytest .venv/bin/pytest -q -p no:cacheprovider "$@"

echo "== provider tests on the oldest supported openai ($OLDEST_OPENAI)"
run_pytest .venv-oldest-openai/bin/pytest -q -p no:cacheprovider tests/test_openai_*.py

echo "== provider tests on the oldest supported google-genai ($OLDEST_GENAI)"
run_pytest .venv-oldest-genai/bin/pytest -q -p no:cacheprovider tests/test_genai_*.py

echo "== Responses API tests on the first openai release that has it ($OLDEST_RESPONSES)"
run_pytest .venv-openai-responses/bin/pytest -q -p no:cacheprovider tests/test_openai_responses.py

# The slow integration files (real Phoenix, SQS on moto, the HTTP services, the aiobs
# releases in their own venvs, a fresh checkout's commands, the benchmark smoke run) run
# once, above: the Python matrix keeps CI well under 30 minutes.
SLOW_INTEGRATION=(
  --ignore=tests/test_zero_code_phoenix.py --ignore=tests/test_evaluations_phoenix.py
  --ignore=tests/test_new_user_phoenix.py
  --ignore=tests/test_http_services.py --ignore-glob="tests/test_sqs_*.py"
  --ignore-glob="tests/test_aiobs015_*.py" --ignore=tests/test_aiobs_user_suite.py
  --ignore=tests/test_aiobs_guide.py --ignore=tests/test_aiobs_compat.py
  --ignore=tests/test_first_ten_minutes.py --ignore=tests/test_benchmarks_smoke.py
)
for version in "${PYTHON_MATRIX[@]}"; do
  venv=".venv-py${version/./}"
  releases=$("$venv/bin/python" -c 'import platform, openai; from google.genai import version
print(f"{platform.python_version()} (newest SDKs for it: openai {openai.__version__}, google-genai {version.__version__})")')
  echo "== tests on Python $releases"
  started=$SECONDS
  run_pytest "$venv/bin/pytest" -q -p no:cacheprovider "${SLOW_INTEGRATION[@]}"
  echo "== Python $version: $((SECONDS - started)) s"
done
