#!/usr/bin/env bash
# Installs everything the suite needs, idempotently, so that a fresh clone needs no manual step:
# the Python virtualenv (pinned requirements), Debian packages (when root), the Allure CLI (npm).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------------------------
# command -> package that provides it
declare -A NEEDED=(
  [/usr/lib/rabbitmq/bin/rabbitmq-server]=rabbitmq-server
  [/usr/sbin/sshd]=openssh-server
  [kubectl]=kubernetes-client
  [java]=default-jre-headless
  [npm]=npm
  [chromium]=chromium
)
missing=()
for cmd in "${!NEEDED[@]}"; do
  if [[ "$cmd" == /* ]]; then [[ -x "$cmd" ]] || missing+=("${NEEDED[$cmd]}")
  else command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEEDED[$cmd]}"); fi
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # the Debian package starts a system-wide broker; the suite runs its own private node instead
    if [[ " ${missing[*]} " == *" rabbitmq-server "* ]]; then
      (service rabbitmq-server stop || true) >/dev/null 2>&1
    fi
  else
    echo "Missing system packages; install them first: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# --- Python ----------------------------------------------------------------------------------
PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  say "installing Python packages from requirements.txt"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" || true
  .venv/bin/python -c "import behave, allure_behave, fastapi, pika, pymongo, kubernetes, paramiko" \
    || { echo "Python packages failed to install (see above)" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

# `.venv/bin/behave` and `.venv/bin/pytest` import the project's packages from the checkout itself
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
[[ -f "$site/focus_suite.pth" && $(cat "$site/focus_suite.pth") == "$PWD" ]] || echo "$PWD" > "$site/focus_suite.pth"

# --- Allure CLI ------------------------------------------------------------------------------
if [[ -x scripts/install_allure.sh ]]; then
  scripts/install_allure.sh
fi
