#!/usr/bin/env bash
# Checks the server against its own OpenAPI document with schemathesis: every operation, as a
# tenant, as the admin, as the runtime, and the stream. Needs `pip install schemathesis`.
# Usage: scripts/fuzz-api.sh [examples per operation, default 100]
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-100}
command -v st >/dev/null || { echo "schemathesis is not installed: pip install schemathesis" >&2; exit 2; }
swift build --product clawcloud >/dev/null
scratch=$(mktemp -d)
trap 'kill $(cat "$scratch/pid") 2>/dev/null || true; rm -rf "$scratch"' EXIT
(cd "$scratch" && exec "$OLDPWD/.build/debug/clawcloud" dev --port 18080 --runtime-port 18081 >"$scratch/dev.log" 2>&1) &
echo $! >"$scratch/pid"
for _ in $(seq 50); do grep -q "service token" "$scratch/dev.log" 2>/dev/null && break; sleep 0.2; done
key=$(grep "internal key" "$scratch/dev.log" | awk '{print $NF}')
token=$(grep "service token" "$scratch/dev.log" | awk '{print $NF}')
spec=http://127.0.0.1:18080/api/openapi.json
status=0
run() {
    echo "== $1"
    shift
    st run "$spec" --checks all -n "$examples" --request-timeout 5 "$@" || status=1
}
run "as a tenant" -H "X-OA-Internal-Key: $key" -H "X-OA-User-Id: user_fuzz" --exclude-path /api/stream --exclude-path-regex "^/api/(admin|openclaw/runtime/events)"
run "as the admin" -H "X-OA-Internal-Key: $key" -H "X-OA-User-Id: admin" --include-path-regex "^/api/admin"
run "as the runtime" -H "X-OpenAgents-Service-Token: $token" -H "X-OA-Instance-Id: user_fuzz" --include-path /api/openclaw/runtime/events
# A stream never ends: each case waits for the request timeout.
echo "== the stream"
st run "$spec" --checks all -n 5 --request-timeout 2 -H "X-OA-Internal-Key: $key" -H "X-OA-User-Id: user_fuzz" --include-path /api/stream || status=1
exit $status
