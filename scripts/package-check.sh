#!/usr/bin/env bash
# The package as a user gets it: packs this checkout, installs the tarball into an empty project
# with Node 24, and there runs the README's library example, `npx teejs run` on a sample
# function, `teejs/client`, and `tsc --noEmit` of a consumer that uses the public types of both
# (test/package/). Where the system's Node is older than 24, it also checks that the command
# says so in one line.
# Run by .ci/run; needs the npm registry (or npm's cache) for the consumer's dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
node24="$root/node_modules/node/bin"
system_node=$(command -v node || true)
export PATH="$node24:$PATH"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
echo "package-check: packed $tarball ($(tar -tzf "$work/$tarball" | wc -l) files)"
if tar -tzf "$work/$tarball" | grep -E '^package/(src|test|bench|scripts|\.ci)/' >/dev/null; then
  echo "package-check: the tarball holds sources, tests or CI files" >&2
  exit 1
fi

listing=$(tar -tzf "$work/$tarball")
for file in index.html app.js app.css; do
  if ! grep -qx "package/dist/service/console/static/$file" <<< "$listing"; then
    echo "package-check: the tarball lacks the console's $file" >&2
    exit 1
  fi
done

ts_version=$(node -p "require('./node_modules/typescript/package.json').version")
types_version=$(node -p "require('./node_modules/@types/node/package.json').version")
mkdir "$work/consumer"
cd "$work/consumer"
printf '{ "name": "consumer", "private": true, "type": "module" }\n' > package.json
npm install --silent --no-audit --no-fund --prefer-offline "$work/$tarball" "typescript@$ts_version" "@types/node@$types_version"

# The README's library example, exactly as written.
node -e '
  const text = require("fs").readFileSync(process.argv[1], "utf8");
  const section = text.slice(text.indexOf("## As a library"));
  process.stdout.write(/```js\n([\s\S]*?)```/.exec(section)[1]);
' "$root/README.md" > example.mjs
output=$(node --no-node-snapshot example.mjs)
echo "package-check: README example printed: $output"
[[ "$output" == *"success { sum: 3, key: 5 } [ 'adding 1 2' ]"* ]]

# docs/attestation.md's worked example: its commands, then its JavaScript check, as written.
node -e '
  const text = require("fs").readFileSync(process.argv[1], "utf8");
  const at = text.indexOf("The same checks in JavaScript");
  const before = text.slice(0, at);
  const sh = [...before.matchAll(/```sh\n([\s\S]*?)```/g)].at(-1)[1];
  const js = /```js\n([\s\S]*?)```/.exec(text.slice(at))[1];
  require("fs").writeFileSync("attest-steps.sh", sh);
  require("fs").writeFileSync("verify.mjs", js);
' "$root/docs/attestation.md"
bash -euo pipefail attest-steps.sh > /dev/null
checked=$(node verify.mjs)
echo "package-check: docs/attestation.md's check printed: $(echo "$checked" | head -n 1)"
[[ "$checked" == "ETH = 42, signed by key "* ]]

# Without the flag isolated-vm needs, one clear sentence.
if node -e 'import("teejs")' 2>err.txt; then echo "package-check: imported without --no-node-snapshot" >&2; exit 1; fi
grep -q 'teejs needs Node.js started with --no-node-snapshot' err.txt

# The command line.
printf 'export default (params) => ({ twice: params.n * 2 })\n' > twice.mjs
result=$(npx --no-install teejs run twice.mjs --params '{"n":21}' --json)
node -e 'const r = JSON.parse(process.argv[1]); if (r.status !== "success" || r.result.twice !== 42) { console.error(r); process.exit(1); }' "$result"
echo "package-check: npx teejs run answered 42"
# Its receipt verifies there, and the measurement covers what the package runs (dist/).
printf '%s' "$result" > result.json
npx --no-install teejs verify result.json --source twice.mjs --params '{"n":21}' > /dev/null
npx --no-install teejs measure --manifest | grep -q '  dist/index.js$'
echo "package-check: the receipt verifies; the measurement covers dist/"

# The service's typed client loads on its own (no isolate, so no flag needed).
node -e 'import("teejs/client").then((client) => { if (typeof client.createClient !== "function") process.exit(1); })'
echo "package-check: teejs/client loads"
# The service's commands load from the build too (each is its own module, on the client).
for command in login deploy invoke logs executions secrets versions rollback; do
  npx --no-install teejs "$command" --help >/dev/null
done
echo "package-check: the service's commands answer --help"

# The web console is served from the package's built files (no bundling at run time there).
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
# The command itself, not through npx: the pid is the server's own, so the kill below stops it.
TEEJS_ADMIN_KEY=tjs_packageCheckOperatorKey000000000000 ./node_modules/.bin/teejs serve --port "$port" --data-dir "$work/serve-data" --executors 0 > serve.log 2>&1 &
serve_pid=$!
for _ in $(seq 1 100); do
  if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "http://127.0.0.1:$port/health"; then break; fi
  sleep 0.2
done
node -e '
  const base = process.argv[1];
  (async () => {
    for (const file of ["/console", "/console/app.js", "/console/app.css"]) {
      const response = await fetch(base + file);
      if (!response.ok || !(response.headers.get("content-security-policy") ?? "").includes("default-src")) throw new Error(file + ": " + response.status);
    }
  })().catch((error) => { console.error("package-check: the console is not served:", error.message); process.exit(1); });
' "http://127.0.0.1:$port"
kill "$serve_pid"
wait "$serve_pid" || true
echo "package-check: teejs serve serves the web console at /console"

# The public types.
cp "$root/test/package/consumer.ts" consumer.ts
npx --no-install tsc --noEmit --strict --module nodenext --moduleResolution nodenext --target es2024 --types node --skipLibCheck false consumer.ts
echo "package-check: the consumer type-checks"

# An older system Node gets one line, not a stack trace.
if [ -n "$system_node" ] && [ "$("$system_node" -p 'Number(process.versions.node.split(".")[0])')" -lt 24 ]; then
  if "$system_node" node_modules/teejs/bin/teejs.js --help 2>err.txt; then echo "package-check: ran under an older Node" >&2; exit 1; fi
  [ "$(wc -l < err.txt)" -eq 1 ] && grep -q 'needs Node.js 24 or later' err.txt
  echo "package-check: Node $("$system_node" --version) is told: $(cat err.txt)"
fi
echo "package-check: ok"
