#!/usr/bin/env bash
# Sets everything up and runs the whole test suite as root — jest (unit and integration tests),
# then the conformance suite grading tsrun against runc (a case runc passes and tsrun fails is a
# regression) — between a leakcheck snapshot and compare: a run that leaves a mount, cgroup,
# namespaced process or netns behind fails.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1

npm run --silent gen:check || { echo "generated types are stale (spec/generated or supervisor/api/generated): run npm run gen:types"; exit 1; }

leakcheck=../shared/tools/leakcheck
snapshot=$(mktemp)
if [ -x "$leakcheck" ]; then "$leakcheck" snapshot "$snapshot"; else echo "leakcheck: $leakcheck not found, leak check skipped"; fi

report=$(mktemp)
npx jest --runInBand --forceExit --json --outputFile="$report" "$@"
status=$?

echo "== conformance: tsrun graded against runc =="
node dist/conformance/run.js --runtime "$(command -v runc)" --runtime bin/tsrun || status=1

leaked=0
if [ -x "$leakcheck" ]; then "$leakcheck" compare "$snapshot" || leaked=1; fi

node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);' "$report"
rm -f "$snapshot" "$report"
[ $status -eq 0 ] && [ $leaked -eq 0 ]
