//! Opens a drafted notice as an issue on GitHub (`gatekeeper notice --create`).

use crate::config::Config;
use crate::net::Network;
use crate::secrets::Env;
use crate::sources;

use super::LABEL;

/// Why the notice issue was not opened.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("--create needs every secret the config names, before any request:\n  - {}", .0.join("\n  - "))]
    MissingSecrets(Vec<String>),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// A missing token or [github] section: a config problem, named.
    #[error("--create: {0}")]
    Connect(String),
    /// GitHub answered, but did not open it (the message without any secret).
    #[error("GitHub did not open the notice issue in {repo}: {message}")]
    Refused { repo: String, message: String },
}

/// Opens the issue `title` with `body` and the notice label in `repo`: its number
/// and address.
pub fn open(
    config: &Config,
    repo: &str,
    title: &str,
    body: &str,
) -> Result<(u64, String), IssueError> {
    let env: Env<'_> = &crate::secrets::process_env;
    let missing = sources::missing_secrets(config, env, &["github"]);
    if !missing.is_empty() {
        return Err(IssueError::MissingSecrets(missing));
    }
    let network = Network::start(config.limits()).map_err(IssueError::Runtime)?;
    // octocrab's client needs the runtime, even to be built.
    let created = network.block_on(async {
        let transport = network
            .transport()
            .map_err(|e| IssueError::Connect(e.to_string()))?;
        let github = sources::github_client(config, &transport, env)
            .map_err(|e| IssueError::Connect(e.to_string()))?;
        Ok::<_, IssueError>(github.create_issue(repo, title, body, &[LABEL]).await)
    })?;
    created.map_err(|e| IssueError::Refused {
        repo: repo.to_owned(),
        message: sources::redactor(config, env).scrub(&e.to_string()),
    })
}
