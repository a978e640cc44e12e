# Shared apt helpers for scripts/vm/setup and scripts/vm/qemu/build (sourced, not run).
# The caller defines die() and say(). Adds a deb822 source for bookworm-backports (binary and source
# packages) with the mirror and keyring of the existing Debian source, and runs `apt-get update` once.

BACKPORTS_FILE=/etc/apt/sources.list.d/bookworm-backports.sources

# Prints "URI KEYRING" of the stanza of debian.sources whose Suites has plain "bookworm".
debian_mirror() {
  local uri='' key=''
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    read -r uri key < <(awk '
      function flush() { if (suite && uri) { print uri, (key ? key : "-"); done = 1 } suite = 0; uri = ""; key = "" }
      done { next }
      /^[[:space:]]*$/ { flush(); next }
      /^URIs:/ { uri = $2 }
      /^Signed-By:/ { key = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") suite = 1 }
      END { if (!done) flush() }' /etc/apt/sources.list.d/debian.sources) || true
  fi
  [[ -n $uri ]] || uri=http://deb.debian.org/debian
  [[ -n $key && $key != - ]] || key=/usr/share/keyrings/debian-archive-keyring.gpg
  echo "$uri $key"
}

# Is there an active entry of type $1 (deb or deb-src) for bookworm-backports (one-line or deb822)?
has_backports_type() {
  local type=$1 f
  grep -qsE "^[[:space:]]*$type[[:space:]].*bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    && return 0
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk -v want="$type" '
      function flush() { if (t && s && en) found = 1; t = 0; s = 0; en = 1 }
      BEGIN { en = 1 }
      /^[[:space:]]*$/ { flush(); next }
      /^Types:/ { for (i = 2; i <= NF; i++) if ($i == want) t = 1 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm-backports") s = 1 }
      /^Enabled:[[:space:]]*no/ { en = 0 }
      END { flush(); exit found ? 0 : 1 }' "$f" && return 0
  done
  return 1
}

# Ensures deb (and, with "src", deb-src) entries for bookworm-backports. Returns 0 if it changed nothing.
ensure_backports_source() {
  local want_src=${1:-} types='' uri key
  has_backports_type deb || types=deb
  if [[ $want_src == src ]] && ! has_backports_type deb-src; then types="${types:+$types }deb-src"; fi
  [[ -n $types ]] || return 0
  read -r uri key < <(debian_mirror)
  # Our own file may already hold one type: rewrite it with both.
  if [[ -f $BACKPORTS_FILE ]] && grep -q '^Types:' "$BACKPORTS_FILE"; then
    types=$(sed -n 's/^Types:[[:space:]]*//p' "$BACKPORTS_FILE" | head -n 1)
    [[ " $types " == *" deb "* ]] || types="deb $types"
    [[ $want_src != src || " $types " == *" deb-src "* ]] || types="$types deb-src"
  fi
  say "writing $BACKPORTS_FILE (Types: $types; $uri)"
  cat > "$BACKPORTS_FILE.tmp" << EOF
Types: $types
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: $key
EOF
  mv "$BACKPORTS_FILE.tmp" "$BACKPORTS_FILE"
  APT_UPDATED=0
}

APT_UPDATED=${APT_UPDATED:-0}
apt_update() {
  ensure_backports_source "${1:-}"
  (( APT_UPDATED )) && return 0
  say "apt-get update"
  apt-get update -qq > /dev/null 2>&1 || apt-get update -q >&2 || die "apt-get update failed"
  APT_UPDATED=1
}

# Installed (exactly "install ok installed")?
pkg_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2> /dev/null) == "install ok installed" ]]
}
