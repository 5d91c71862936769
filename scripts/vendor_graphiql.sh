#!/usr/bin/env bash
# Re-vendor GraphiQL's browser assets into api/static/graphiql/vendor/ from the npm registry,
# so the IDE at /graphql loads nothing from another host (intranets have no CDN).
#
#   scripts/vendor_graphiql.sh            # the versions below
#   GRAPHIQL=3.8.3 REACT=18.2.0 scripts/vendor_graphiql.sh
#
# The set is the one Strawberry's own GraphiQL page uses (strawberry/static/graphiql.html of
# the pinned Strawberry series): GraphiQL 3 still ships a UMD build that runs from plain
# <script> tags, so there is no bundler step. GraphiQL 4+ and React 19 dropped UMD builds.
# `npm pack` checks each tarball against the registry's integrity hash. After running it,
# `make pytest PYTEST_ARGS=tests/api/test_graphiql.py` checks the page and every asset.
set -euo pipefail
cd "$(dirname "$0")/.."

GRAPHIQL="${GRAPHIQL:-3.8.3}"
EXPLORER="${EXPLORER:-1.0.2}"
GRAPHIQL_EXPLORER="${GRAPHIQL_EXPLORER:-0.9.0}"  # bundled inside the explorer plugin
REACT="${REACT:-18.2.0}"

dest=api/static/graphiql/vendor
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch NAME VERSION -> unpacked into $work/NAME@VERSION/package
  local dir="$work/$1@$2"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$1@$2" >/dev/null && tar xzf ./*.tgz)
  echo "$dir/package"
}

react="$(fetch react "$REACT")"
react_dom="$(fetch react-dom "$REACT")"
graphiql="$(fetch graphiql "$GRAPHIQL")"
explorer="$(fetch @graphiql/plugin-explorer "$EXPLORER")"
graphiql_explorer="$(fetch graphiql-explorer "$GRAPHIQL_EXPLORER")"

rm -rf "$dest"
mkdir -p "$dest/LICENSES"
cp "$react/umd/react.production.min.js" "$dest/react.production.min.js"
cp "$react_dom/umd/react-dom.production.min.js" "$dest/react-dom.production.min.js"
cp "$graphiql/graphiql.min.js" "$dest/graphiql.min.js"
cp "$graphiql/graphiql.min.css" "$dest/graphiql.min.css"
cp "$explorer/dist/index.umd.js" "$dest/plugin-explorer.umd.js"
cp "$explorer/dist/style.css" "$dest/plugin-explorer.css"
# The built files end with a sourceMappingURL comment naming a .map we do not ship: the
# browser's developer tools would request it and log a 404.
sed -i '/^\/[/*][#@] sourceMappingURL=/d' "$dest"/*.js "$dest"/*.css

cp "$react/LICENSE" "$dest/LICENSES/react.txt"
cp "$react_dom/LICENSE" "$dest/LICENSES/react-dom.txt"
cp "$graphiql/LICENSE" "$dest/LICENSES/graphiql.txt"
# @graphiql/plugin-explorer ships no LICENSE file; it is MIT like the rest of the graphiql
# monorepo, whose licence text is graphiql's.
cp "$graphiql/LICENSE" "$dest/LICENSES/graphiql-plugin-explorer.txt"
cp "$graphiql_explorer/LICENSE" "$dest/LICENSES/graphiql-explorer.txt"

licence() { node -p "require('$1/package.json').license"; }
{
  echo "# GraphiQL, vendored"
  echo
  echo "Written by scripts/vendor_graphiql.sh from the npm registry; do not edit by hand."
  echo "Served by api/graphiql.py under /static/graphiql/vendor/."
  echo
  echo "| package | version | licence | files |"
  echo "|---|---|---|---|"
  echo "| react | $REACT | $(licence "$react") | react.production.min.js |"
  echo "| react-dom | $REACT | $(licence "$react_dom") | react-dom.production.min.js |"
  echo "| graphiql | $GRAPHIQL | $(licence "$graphiql") | graphiql.min.js, graphiql.min.css |"
  echo "| @graphiql/plugin-explorer | $EXPLORER | $(licence "$explorer") | plugin-explorer.umd.js, plugin-explorer.css |"
  echo "| graphiql-explorer (inside the plugin) | $GRAPHIQL_EXPLORER | $(licence "$graphiql_explorer") | |"
  echo
  echo "Licence texts are in LICENSES/. SHA-256 of each served file:"
  echo
  echo '```'
  (cd "$dest" && sha256sum ./*.js ./*.css | sed 's| \./| |')
  echo '```'
} >"$dest/SOURCE.md"

echo "vendored into $dest:"
ls -l "$dest"
