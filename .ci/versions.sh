#!/usr/bin/env bash
# The versions a test run depends on, printed at the start of CI's log: the key Python packages (from
# the project venv, installed from uv.lock) and the system packages .ci/system-deps.sh installs.
set -u
VENV="${VENV:-.venv}"
echo "== versions"
"$VENV/bin/python" - <<'PY'
import platform
from importlib import metadata

print(f"python {platform.python_version()}")
for name in ("duckdb", "sqlglot", "pandas", "fastapi", "langchain-core", "openai", "pyspark", "psycopg"):
    try:
        print(f"{name} {metadata.version(name)}")
    except metadata.PackageNotFoundError:
        print(f"{name} (not installed)")
PY
[ -x .tools/bin/uv ] && .tools/bin/uv --version
for package in chromium 'postgresql-[0-9]*' default-jre-headless fonts-noto-cjk; do
  dpkg-query -W -f='${db:Status-Status} ${Package} ${Version}\n' "$package" 2>/dev/null | sed -n 's/^installed //p' || echo "$package (not installed)"
done
java -version 2>&1 | head -1 || true
echo "node $(node --version 2>/dev/null || echo '(not installed)')  npm $(npm --version 2>/dev/null || echo '(not installed)')"
echo "=="
