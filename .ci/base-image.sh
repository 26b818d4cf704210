#!/usr/bin/env bash
# Build a minimal Python base image from this machine's own Debian packages, for machines
# with a Docker engine but no image registry (CI). Elsewhere use a registry base image
# such as python:3.11-slim. Usage: .ci/base-image.sh [IMAGE_NAME]
set -euo pipefail
IMAGE="${1:-runnable-base:local}"
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "base image $IMAGE already present"
    exit 0
fi
PACKAGES=(python3 python3-venv python3-pip dash coreutils ca-certificates libstdc++6)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
ROOT="$(mktemp -d)"
trap 'rm -rf "$ROOT"' EXIT
closure=$(apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances "${PACKAGES[@]}" | grep -v '^ ' | grep -v '^<' | sort -u)
for pkg in $closure; do
    dpkg -L "$pkg" 2>/dev/null || true
done | while read -r path; do
    # Debian 12 is merged-/usr: /bin, /sbin, /lib and /lib64 are links into /usr.
    case "$path" in
        /bin/*|/sbin/*|/lib/*|/lib64/*) path="/usr$path" ;;
        /usr/share/doc/*|/usr/share/man/*|/usr/share/locale/*|/usr/share/info/*) continue ;;
    esac
    if { [ -f "$path" ] || [ -L "$path" ]; } && [ ! -d "$path" ]; then
        printf '%s\0' "$path"
    fi
done | sort -zu | tar --null -T - -cf - | tar -C "$ROOT" -xf -
for dir in bin sbin lib lib64; do
    mkdir -p "$ROOT/usr/$dir"
    ln -s "usr/$dir" "$ROOT/$dir"
done
ln -sf dash "$ROOT/usr/bin/sh"
ln -sf python3 "$ROOT/usr/bin/python"
mkdir -p "$ROOT/etc" "$ROOT/tmp" "$ROOT/root" "$ROOT/etc/ssl/certs"
chmod 1777 "$ROOT/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$ROOT/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$ROOT/etc/group"
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/"
tar -C "$ROOT" -c . | docker import -c 'ENV LANG=C.UTF-8 PIP_BREAK_SYSTEM_PACKAGES=1 PATH=/usr/local/bin:/usr/bin:/bin' - "$IMAGE"
echo "built base image $IMAGE"
