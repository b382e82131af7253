#!/usr/bin/env bash
# Installs what is missing and runs AI Coach on the demo market (no keys needed).
# Set MASSIVE_API_KEY / OPENAI_API_KEY (or use Settings) to use the real services.
source "$(dirname "$0")/lib.sh"

ensure_apt_packages
ensure_toolchains
ensure_node_modules
build_ui
build_app
log "starting AI Coach"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  log "no display found: running under Xvfb (screenshots: import -window root shot.png)"
  exec xvfb-run -a -s "-screen 0 1280x800x24" ./target/debug/ai-coach "$@"
fi
exec ./target/debug/ai-coach "$@"
