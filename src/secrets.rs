//! Secrets on the ground floor: where they are read from (the environment, or a
//! map in benches and tests) and the scrubber that hides their values from every
//! message, error and audit record of the process. It knows no config and no
//! service: a config names its secret variables, its loader's caller installs them.

use base64::Engine as _;

/// Looks up an environment variable: `std::env` in the program, a map in benches.
pub type Env<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// The process environment.
pub fn process_env(var: &str) -> Option<String> {
    std::env::var(var).ok()
}

/// The base64 of `user:token`, as HTTP basic auth sends it.
pub fn basic(user: &str, token: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"))
}

/// The variable that may hold the PEM key decisions are signed with
/// (`--attest-out`): a secret like the tokens.
pub const SIGNING_KEY_ENV: &str = "GATEKEEPER_SIGNING_KEY";

/// A program started outside a run (a local, read-only `git` question) gets none of
/// the secret variables: `names` (the config's token and key variables) and the
/// signing key's. A run's children go through `runbook::process::Children`, which
/// removes the same names.
pub fn without_secrets<'c>(
    command: &'c mut std::process::Command,
    names: &[String],
) -> &'c mut std::process::Command {
    for name in names.iter().map(String::as_str).chain([SIGNING_KEY_ENV]) {
        command.env_remove(name);
    }
    command
}

/// Holds the secret values and scrubs them from any text that leaves a source.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets
            .into_iter()
            // A very short value would scrub ordinary words; it is no real token anyway.
            .filter(|s| s.len() >= 4)
            .collect();
        // Longest first, so that a secret containing another is scrubbed whole.
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Self { secrets }
    }

    /// Every environment variable the config names as holding a secret, read
    /// trimmed as the sources send them (and untrimmed too, in case a service echoes
    /// what it was given).
    /// A value that is a PEM key (the signing key) is also scrubbed line by line:
    /// a partial echo must not leak it either.
    pub fn from_env(env: Env<'_>, vars: &[&str]) -> Self {
        Self::new(vars.iter().filter_map(|v| env(v)).flat_map(|value| {
            let mut forms = vec![value.trim().to_owned()];
            if value.contains("-----BEGIN") {
                forms.extend(
                    value
                        .lines()
                        .map(str::trim)
                        .filter(|l| l.len() >= 16 && !l.starts_with("-----"))
                        .map(str::to_owned),
                );
            }
            forms.push(value);
            forms
        }))
    }

    /// Also scrubs the basic-auth form of `user:token` (base64), as a 401 page may
    /// echo the Authorization header.
    pub fn with_basic(mut self, user: &str, token: &str) -> Self {
        let form = basic(user, token.trim());
        // Without padding: an echo may drop or re-encode the `=`.
        let bare = form.trim_end_matches('=').to_owned();
        self.secrets.push(form);
        self.secrets.push(bare);
        self.secrets
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        self.secrets.dedup();
        self
    }

    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            for form in [secret.clone(), percent_encode(secret)] {
                if out.contains(&form) {
                    out = out.replace(&form, "[REDACTED]");
                }
            }
        }
        out
    }
}

/// The scrubber of the process: the secrets of the config it loaded.
static SCRUBBER: std::sync::RwLock<Option<Redactor>> = std::sync::RwLock::new(None);

/// Makes [`scrub`] hide `redactor`'s secrets from now on (set when a config loads).
pub fn install_scrubber(redactor: Redactor) {
    // A writer that panicked left a whole value (an `Option` is replaced at once):
    // the lock's poison must not turn scrubbing off.
    let mut installed = SCRUBBER
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *installed = Some(redactor);
}

/// `text` without any secret of the loaded config: every text built from what a
/// service answered, every error printed and every audit record passes here.
pub fn scrub(text: &str) -> String {
    let installed = SCRUBBER
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match installed.as_ref() {
        Some(redactor) => redactor.scrub(text),
        None => text.to_owned(),
    }
}

/// The secret as it would appear in a URL's query.
fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_outside_a_run_starts_without_the_secret_variables() {
        let mut git = std::process::Command::new("git");
        without_secrets(&mut git, &["ACME_TOKEN".to_owned()]);
        let removed: Vec<String> = git
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        assert!(removed.contains(&"ACME_TOKEN".to_owned()), "{removed:?}");
        assert!(removed.contains(&SIGNING_KEY_ENV.to_owned()), "{removed:?}");
    }
}
