#!/usr/bin/env bash
# Installs what is missing and runs every test: formatting and lints, Rust unit
# and integration tests (with the TypeScript bindings check), UI type check and
# unit tests, and the WebDriver end-to-end suite against the real app under Xvfb.
source "$(dirname "$0")/lib.sh"

ensure_apt_packages
ensure_toolchains
ensure_node_modules
ensure_tauri_driver

log "every path code and tests read lies inside the repository"
node scripts/check-paths.mjs
log "coach-engine: no module cycle, no component reaching back into the Engine"
node scripts/check-module-cycles.mjs
log "the app's commands: registered, defined and in the UI's Command union alike"
node scripts/check-commands.mjs

log "cargo fmt --check"
cargo fmt --all -- --check

log "UI: type check and unit tests"
npm run --silent typecheck
npm run --silent test:ui

# The Tauri crate embeds ui/dist at compile time, so the UI is built before clippy sees it.
build_ui

log "cargo clippy (all crates, all targets, warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

log "Rust tests (core, engine with the bindings drift check, sim, cli)"
cargo test --quiet

build_app

log "end-to-end tests (tauri-driver + WebKitWebDriver under Xvfb)"
export E2E_ARTIFACTS="${E2E_ARTIFACTS:-$ROOT/target/e2e-artifacts}"
# Debian's default C.UTF-8 is the locale that once blanked charts; run the suite under it,
# and the start-up journey again under en_US.UTF-8.
LANG=C.UTF-8 xvfb-run -a -s "-screen 0 1280x800x24" npm run --silent test:e2e
LANG=en_US.UTF-8 xvfb-run -a -s "-screen 0 1280x800x24" node --test tests/e2e/startup.test.mjs
log "all tests passed; screenshots in $E2E_ARTIFACTS"
