#!/usr/bin/env bash
# Re-vendor the ops console's JavaScript libraries from the npm registry into
# api/console/static/vendor/ (no build step, no CDN: the files ship in the Python package).
#
#   scripts/vendor_console.sh            # the versions below
#   PREACT=11.3.0 scripts/vendor_console.sh
#
# Needs npm (for `npm pack`, which downloads a package's tarball and checks its integrity).
# The only change made to a file: Preact's hooks import "preact" by its bare name, which a
# browser cannot resolve without an import map (an inline script the console's CSP forbids),
# so the import is pointed at the file beside it. Source-map comments are dropped (the maps
# are not shipped). Update the versions in vendor/README.md when you change them here.
set -euo pipefail
cd "$(dirname "$0")/.."

PREACT="${PREACT:-11.2.0}"
HTM="${HTM:-3.1.1}"
FFLATE="${FFLATE:-0.8.3}"
DEST=api/console/static/vendor

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "preact@$PREACT" "htm@$HTM" "fflate@$FFLATE" >/dev/null)
for name in preact htm fflate; do
  mkdir "$work/$name"
  tar -xzf "$work/$name"-*.tgz -C "$work/$name"
done

strip_map() { sed '/^\/\/# sourceMappingURL=/d' "$1"; }

strip_map "$work/preact/package/dist/preact.mjs" > "$DEST/preact.mjs"
strip_map "$work/preact/package/hooks/dist/hooks.mjs" \
  | sed 's|from"preact"|from"./preact.mjs"|g; s|from "preact"|from "./preact.mjs"|g' \
  > "$DEST/hooks.mjs"
if grep -q 'from *"preact"' "$DEST/hooks.mjs"; then
  echo "hooks.mjs still imports the bare name 'preact'" >&2
  exit 1
fi
strip_map "$work/htm/package/dist/htm.mjs" > "$DEST/htm.mjs"
strip_map "$work/fflate/package/esm/browser.js" > "$DEST/fflate.mjs"

cp "$work/preact/package/LICENSE" "$DEST/LICENSE.preact"
cp "$work/htm/package/LICENSE" "$DEST/LICENSE.htm"
cp "$work/fflate/package/LICENSE" "$DEST/LICENSE.fflate"

(cd "$DEST" && sha256sum preact.mjs hooks.mjs htm.mjs fflate.mjs > SHA256SUMS)
echo "vendored preact $PREACT, htm $HTM, fflate $FFLATE into $DEST"
