#!/usr/bin/env bash
# Times `manage.py seed_demo` at scale 1 and at scale N on a scratch database, for the
# seed timings in the README.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/pw_bench scripts/bench_seed.sh [N]
#   DATABASE_URL=sqlite:////tmp/pw_bench.sqlite3 scripts/bench_seed.sh [N]
#
# N defaults to 100. THE DATABASE IS WIPED (seed_demo --reset): never point it at real data.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${DATABASE_URL:?set DATABASE_URL to a scratch database; it will be wiped}"
scale="${1:-100}"
export SECRET_KEY="${SECRET_KEY:-bench-only-secret-key}"
python="${PYTHON:-.venv/bin/python}"

"$python" manage.py migrate --noinput --verbosity 0

seconds_for() {
    local started ended
    started=$(date +%s.%N)
    "$python" manage.py seed_demo --reset --scale "$1" "${@:2}"
    ended=$(date +%s.%N)
    echo "$started $ended" | awk '{ printf "%.1f\n", $2 - $1 }'
}

small=$(seconds_for 1 --verbosity 0 | tail -n 1)
log=$(mktemp)
large=$(seconds_for "$scale" | tee "$log" | tail -n 1)

echo "database: ${DATABASE_URL%%:*}  ($(nproc) cores, $(date +%F))"
printf '%-24s %8s s\n' "seed_demo --scale 1:" "$small" "seed_demo --scale ${scale}:" "$large"
echo "rows at scale ${scale}:"
sed -n "/：[0-9,]\+$/p" "$log"
rm -f "$log"
