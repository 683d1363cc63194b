#!/usr/bin/env bash
# Checks the server against its own OpenAPI document with schemathesis: every operation, as a
# tenant, as the admin, as the runtime, and the stream. Needs `pip install schemathesis`.
# Usage: scripts/fuzz-api.sh [examples per operation, default 100]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
examples=${1:-100}
command -v st >/dev/null || { echo "schemathesis is not installed: pip install schemathesis" >&2; exit 2; }
swift build --product clawcloud >/dev/null
scratch=$(mktemp -d)
trap 'kill $(cat "$scratch/pid") 2>/dev/null || true; rm -rf "$scratch"' EXIT
(cd "$scratch" && exec "$repo/.build/debug/clawcloud" dev --port 18080 --runtime-port 18081 >"$scratch/dev.log" 2>&1) &
echo $! >"$scratch/pid"
for _ in $(seq 50); do grep -q "service token" "$scratch/dev.log" 2>/dev/null && break; sleep 0.2; done
key=$(grep "internal key" "$scratch/dev.log" | awk '{print $NF}')
token=$(grep "service token" "$scratch/dev.log" | awk '{print $NF}')
spec=http://127.0.0.1:18080/api/openapi.json
# Give the fuzzed tenant access and a ready instance, so that the runtime routes answer more than 404.
api=http://127.0.0.1:18080/api
as_user=(-s -H "X-OA-Internal-Key: $key" -H "X-OA-User-Id: user_fuzz" -H "Content-Type: application/json")
as_admin=(-s -H "X-OA-Internal-Key: $key" -H "X-OA-User-Id: admin" -H "Content-Type: application/json")
curl "${as_user[@]}" -X POST $api/waitlist -d '{"email":"fuzz@example.com"}' >/dev/null
curl "${as_admin[@]}" -X POST $api/admin/waitlist/fuzz@example.com/approval -d '{"approved":true}' >/dev/null
approval=$(curl "${as_user[@]}" -X POST $api/openclaw/instance | sed -n 's/.*"approvalId":"\([^"]*\)".*/\1/p')
curl "${as_user[@]}" -X POST "$api/approvals/$approval/respond" -d '{"decision":"approved"}' >/dev/null
curl "${as_admin[@]}" -X POST $api/admin/credits/grant -d '{"userId":"user_fuzz","amountMicros":100000000,"reason":"fuzz"}' >/dev/null
curl "${as_user[@]}" $api/openclaw/instance | grep -q '"status":"ready"' || { echo "could not provision the fuzzed tenant" >&2; exit 1; }
status=0
# schemathesis keeps its caches (.schemathesis, .hypothesis) where it runs: in the scratch directory.
cd "$scratch"
config="$repo/scripts/schemathesis.toml"
run() {
    echo "== $1"
    shift
    st --config-file "$config" run "$spec" --checks all -n "$examples" --request-timeout 5 "$@" || status=1
}
run "as a tenant" -H "X-OA-Internal-Key: $key" -H "X-OA-User-Id: user_fuzz" --exclude-path /api/stream --exclude-path-regex "^/api/(admin|openclaw/runtime/events)"
run "as the admin" -H "X-OA-Internal-Key: $key" -H "X-OA-User-Id: admin" --include-path-regex "^/api/admin"
run "as the runtime" -H "X-OpenAgents-Service-Token: $token" -H "X-OA-Instance-Id: user_fuzz" --include-path /api/openclaw/runtime/events
# A stream never ends: each case waits for the request timeout.
echo "== the stream"
st --config-file "$config" run "$spec" --checks all -n 5 --request-timeout 2 -H "X-OA-Internal-Key: $key" -H "X-OA-User-Id: user_fuzz" --include-path /api/stream || status=1
exit $status
