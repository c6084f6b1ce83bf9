//! `policy test` and `policy check` read only the `policies` key of the config, so
//! that a config with other problems does not stop the policies' own tests.

use std::path::{Path, PathBuf};

use super::ConfigError;

/// The policy directory `config` names (relative to the config file), `None` when it
/// names none. A config given with `--config` must exist; the default
/// `gatekeeper.toml` may be absent.
pub fn configured_policy_dir(config: Option<&Path>) -> Result<Option<PathBuf>, ConfigError> {
    let (path, explicit) = match config {
        Some(p) => (p.to_owned(), true),
        None => (PathBuf::from("gatekeeper.toml"), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    let value: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Parse {
            path: path.clone(),
            message: e.to_string(),
        })?;
    match value.get("policies") {
        None => Ok(None),
        Some(toml::Value::String(dir)) => {
            let base = path.parent().unwrap_or(Path::new(""));
            Ok(Some(base.join(dir)))
        }
        Some(other) => Err(ConfigError::Invalid {
            path,
            problems: vec![format!(
                "policies is a {}, not a directory name in quotes, e.g. policies = \"policies\"",
                other.type_str()
            )],
        }),
    }
}
