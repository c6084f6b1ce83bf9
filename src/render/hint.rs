//! Commands a person is told to type next.

use std::path::Path;

/// `gatekeeper rollback …` as a person types it, with `--config` when it is not the default.
pub fn rollback_command(config: &Path, target: &str, sha: &str) -> String {
    let mut cmd = format!("gatekeeper rollback {target} --to {sha}");
    if config != Path::new("gatekeeper.toml") {
        cmd.push_str(&format!(" --config {}", config.display()));
    }
    cmd
}
