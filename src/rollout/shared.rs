//! The shared record of runs on GitHub Deployments, seen from a run: who runs it
//! (the token's login, asked once, and the person CI names), the deployment each
//! deploy or rollback leaves on the app repo (`in_progress`, then `success`,
//! `failure` or `error`, with the CI build as `log_url`), and reading a target's
//! deployments back for `history`, `rollback` and `status`. Writing it never stops
//! or hides a run: a failure is said on stderr and recorded in the audit log.

use std::io::Write;

use crate::audit::{Actor, AuditLog, DeploymentNote, Event, Record, Ruling, Run, RunOutcome};
use crate::config::{Config, TargetConfig};
use crate::net::Network;
use crate::secrets::{self, Env};
use crate::sources::ConnectError;
use crate::sources::deployments::{Deployment, Payload, State};
use crate::sources::github::{GitHub, GithubError};

use super::{RunKind, RunReport};

/// A connection to the app repo's deployments, with the run's actor.
pub struct Shared {
    network: Network,
    github: GitHub,
    /// To connect again for the record: a run outlasts the first connection's deadline.
    config: Config,
    repo: String,
    pub actor: Actor,
    /// Why the token's login could not be read, when it could not.
    pub login_error: Option<String>,
    log_url: Option<String>,
}

/// The repo whose deployments record `target`: the app (its first repo), else
/// the deploy repo.
pub fn app_repo(target: &TargetConfig) -> String {
    target
        .repos
        .first()
        .map_or_else(|| target.deploy_repo.clone(), |r| r.github.clone())
}

/// The CI build's page: `BUILD_URL` (Jenkins), else the GitHub Actions run.
pub fn ci_build_url(env: Env<'_>) -> Option<String> {
    let set = |var: &str| env(var).filter(|v| !v.trim().is_empty());
    set("BUILD_URL").or_else(|| {
        let server = set("GITHUB_SERVER_URL")?;
        let repo = set("GITHUB_REPOSITORY")?;
        let run = set("GITHUB_RUN_ID")?;
        Some(format!(
            "{}/{repo}/actions/runs/{run}",
            server.trim_end_matches('/')
        ))
    })
}

/// The actor when GitHub cannot be asked: only the person CI names.
pub fn ci_actor(env: Env<'_>) -> Actor {
    Actor {
        github: None,
        ci: Actor::ci_from(&|v| env(v)),
        ..Actor::default()
    }
}

impl Shared {
    /// Connects to GitHub for `target` on the run's `network`; for a run (`who`),
    /// asks the token's login (once).
    pub fn connect(
        network: &Network,
        config: &Config,
        target: &TargetConfig,
        env: Env<'_>,
        who: bool,
    ) -> Result<Self, ConnectError> {
        let (github, login) = network.block_on(async {
            let transport = network.transport()?;
            let github = crate::sources::github_client(config, &transport, env)?;
            let login = if who {
                github.login().await.map_err(|e| e.to_string()).map(Some)
            } else {
                Ok(None)
            };
            Ok::<_, ConnectError>((github, login))
        })?;
        let (github_login, login_error) = match login {
            Ok(l) => (l, None),
            Err(e) => (None, Some(e)),
        };
        Ok(Self {
            network: network.clone(),
            github,
            config: config.clone(),
            repo: app_repo(target),
            actor: Actor {
                github: github_login,
                ci: Actor::ci_from(&|v| env(v)),
                ..Actor::default()
            },
            login_error,
            log_url: ci_build_url(env),
        })
    }

    /// The target's deployments, newest first, each with its latest status.
    pub fn list(&self, environment: &str) -> Result<Vec<Deployment>, GithubError> {
        self.network
            .block_on(self.github.deployments(&self.repo, environment))
    }

    /// Every deployment of the target on `sha`, every page (bounded), newest first,
    /// without statuses.
    pub fn list_of_sha(
        &self,
        environment: &str,
        sha: &str,
    ) -> Result<Vec<Deployment>, GithubError> {
        self.network
            .block_on(self.github.deployments_of_sha(&self.repo, environment, sha))
    }

    /// The head of `branch` in each of `repos`, or why it could not be read.
    pub fn heads(&self, repos: &[String], branch: &str) -> Vec<Result<String, GithubError>> {
        self.network.block_on(async {
            let mut heads = Vec::new();
            for repo in repos {
                heads.push(self.github.branch_head(repo, branch).await);
            }
            heads
        })
    }

    /// Leaves the deployment of a finished run: created on the SHA it shipped,
    /// `in_progress`, then how it ended. Runs that ran no step leave none. Any
    /// failure is written to `err` and recorded in `log`; the run's result stands.
    pub fn record(
        &self,
        report: &RunReport,
        run: &str,
        gate: Option<&Ruling>,
        log: &AuditLog,
        err: &mut dyn Write,
    ) {
        if report.steps.is_empty() {
            return;
        }
        let shipped = match report.kind {
            RunKind::Rollback => report.restoring.clone(),
            RunKind::Deploy => report
                .production_now
                .clone()
                .ok()
                .flatten()
                .or_else(|| report.production_before.clone()),
        };
        let Some(sha) = shipped else {
            return;
        };
        let payload = Payload {
            kind: report.kind.command().to_owned(),
            run: Some(run.to_owned()),
            actor: self.actor.clone().known(),
            host: Some(crate::audit::host()),
            previous_sha: report.production_before.clone(),
            facts_sha256: gate.and_then(|g| g.facts_sha256.clone()),
            policies_sha256: gate.and_then(|g| g.policies_sha256.clone()),
            overrides: gate.map(|g| g.overrides.clone()).unwrap_or_default(),
            attestation_sha256: gate.and_then(|g| g.attestation_sha256.clone()),
        };
        let (state, description) = ending(report, &sha);
        let log_url = self.log_url.as_deref();
        let mut id = None;
        let result = self.network.block_on(async {
            // The run has likely outlasted the connection's one deadline
            // (`deadline_seconds`): the record gets a connection, and a deadline, of its own,
            // on the run's runtime and limits.
            let transport = self
                .network
                .renewed()
                .transport()
                .map_err(|e| e.to_string())?;
            let github =
                crate::sources::github_client(&self.config, &transport, &secrets::process_env)
                    .map_err(|e| e.to_string())?;
            let created = github
                .create_deployment(&self.repo, &sha, &report.target, &payload)
                .await
                .map_err(|e| e.to_string())?;
            id = Some(created);
            github
                .set_deployment_state(
                    &self.repo,
                    created,
                    State::InProgress,
                    &format!("{} started", report.kind.command()),
                    log_url,
                )
                .await
                .map_err(|e| e.to_string())?;
            github
                .set_deployment_state(&self.repo, created, state, &description, log_url)
                .await
                .map_err(|e| e.to_string())
        });
        if let Err(e) = result {
            let _ = writeln!(
                err,
                "warning: the {} ran, but its GitHub deployment on {} could not be written: {e}; other machines' `history` and `rollback` will not see it (it is in the local audit log)",
                report.kind.command(),
                self.repo
            );
            let note = DeploymentNote {
                deployment_id: id,
                error: e.to_string(),
            };
            let mut record = Record::new(
                report.kind.command(),
                &report.target,
                Event::Deployment(note),
            );
            record.run = Some(run.to_owned());
            if let Err(e) = log.append(&record) {
                let _ = writeln!(err, "warning: {e}");
            }
        }
    }
}

/// The final state of a run's deployment and its description.
fn ending(report: &RunReport, sha: &str) -> (State, String) {
    let short: String = sha.chars().take(10).collect();
    let what = report.kind.command();
    if let Some(why) = &report.guard_failure {
        let text = format!("{what} of {short}: {why}");
        return (State::Failure, text.chars().take(140).collect());
    }
    match report.outcome {
        RunOutcome::Ok => (State::Success, format!("{what} of {short} succeeded")),
        RunOutcome::Failed | RunOutcome::TimedOut => (
            State::Failure,
            format!(
                "{what} {} at {}",
                report.outcome.as_str(),
                report
                    .stop
                    .as_ref()
                    .and_then(|s| s.step())
                    .unwrap_or("a record")
            ),
        ),
        other => (State::Error, format!("{what} {}", other.as_str())),
    }
}

/// Connects (for a run, `who`: asking the token's login), or says on `err` why
/// GitHub's record is not read or written this time.
pub fn connect_or_warn(
    network: &Network,
    config: &Config,
    target: &TargetConfig,
    who: bool,
    err: &mut dyn Write,
) -> Option<Shared> {
    match Shared::connect(network, config, target, &secrets::process_env, who) {
        Ok(shared) => {
            if let Some(e) = &shared.login_error {
                let _ = writeln!(
                    err,
                    "warning: cannot read the GitHub login of the token: {e}; the actor is recorded without it"
                );
            }
            Some(shared)
        }
        Err(e) => {
            let _ = writeln!(
                err,
                "warning: GitHub cannot be reached for the deployments record: {e}; this run is recorded only in the local audit log"
            );
            None
        }
    }
}

/// Who runs a deploy or rollback: the shared record's actor (the token's login and
/// the person CI names), else the person CI names alone; `None` when nobody is known.
pub fn run_actor(shared: Option<&Shared>) -> Option<Actor> {
    shared
        .map_or_else(
            || ci_actor(&crate::secrets::process_env),
            |s| s.actor.clone(),
        )
        .known()
}

/// The deployments a rollback may trust as production's history: those gatekeeper
/// wrote (its payload, with the kind of run and its id) and that were created by
/// `login`, the token's login running the rollback. Anyone with write access, a
/// GitHub Actions job with `environment: production` or another deploy tool can
/// create a deployment; only these count. Without a login, none does.
pub fn trusted(listed: &[Deployment], login: Option<&str>) -> Vec<Deployment> {
    let Some(login) = login else {
        return Vec::new();
    };
    listed
        .iter()
        .filter(|d| d.payload.is_some() && d.creator.as_deref() == Some(login))
        .cloned()
        .collect()
}

/// Whether gatekeeper's login (`login`, the token's) created `d` with gatekeeper's
/// payload: only such a deployment is credited to anyone.
pub fn is_gatekeepers(d: &Deployment, login: Option<&str>) -> bool {
    login.is_some_and(|l| d.payload.is_some() && d.creator.as_deref() == Some(l))
}

/// Deployments as the closing records of their runs (oldest first), how they
/// ended by their latest status. One not created by gatekeeper's login (`login`)
/// with its payload is foreign: it says so in its message, and credits nobody (no
/// actor, run, host or previous SHA from its payload).
pub fn as_history(listed: &[Deployment], target: &str, login: Option<&str>) -> Vec<Record> {
    listed
        .iter()
        .rev()
        .map(|d| {
            let ours = is_gatekeepers(d, login);
            let payload = d.payload.clone().filter(|_| ours).unwrap_or_default();
            let outcome = match d.state.as_deref() {
                Some("success") => RunOutcome::Ok,
                Some("failure") => RunOutcome::Failed,
                Some("error") => RunOutcome::Aborted,
                _ => RunOutcome::Unknown,
            };
            let creator = d.creator.clone().unwrap_or_else(|| "?".to_owned());
            let mut run = Run::new(outcome);
            run.message = d.log_url.clone().or_else(|| d.description.clone());
            if !ours {
                run.message = Some(format!(
                    "foreign, never credited: not written by gatekeeper under the token's login {} (created by {creator}, deployment {}){}",
                    login.unwrap_or("(unknown)"),
                    d.id,
                    run.message
                        .as_deref()
                        .map_or_else(String::new, |m| format!(": {m}"))
                ));
            }
            run.after_sha = Some(d.sha.clone());
            run.before_sha = payload.previous_sha.clone();
            run.actor = payload.actor.clone();
            let (command, event) = if payload.kind == "rollback" {
                ("rollback", Event::Rollback(run))
            } else {
                ("deploy", Event::Deploy(run))
            };
            let mut record = Record::new(command, target, event);
            record.time = d.created_at;
            record.run = payload.run.clone();
            record.host = payload.host.clone().unwrap_or_else(|| "github".to_owned());
            record.user = if ours {
                creator
            } else {
                format!("foreign: {creator}")
            };
            record.gatekeeper = String::new();
            record
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_url_comes_from_jenkins_then_actions() {
        let jenkins = |v: &str| (v == "BUILD_URL").then(|| "https://ci/job/1/".to_owned());
        assert_eq!(ci_build_url(&jenkins).as_deref(), Some("https://ci/job/1/"));
        let actions = |v: &str| match v {
            "GITHUB_SERVER_URL" => Some("https://github.com/".to_owned()),
            "GITHUB_REPOSITORY" => Some("ttm/apangea".to_owned()),
            "GITHUB_RUN_ID" => Some("42".to_owned()),
            _ => None,
        };
        assert_eq!(
            ci_build_url(&actions).as_deref(),
            Some("https://github.com/ttm/apangea/actions/runs/42")
        );
        assert_eq!(ci_build_url(&|_| None), None);
    }

    #[test]
    fn the_ci_person_is_build_user_id_then_github_actor() {
        let both = |v: &str| match v {
            "BUILD_USER_ID" => Some("alice".to_owned()),
            "GITHUB_ACTOR" => Some("bob".to_owned()),
            _ => None,
        };
        assert_eq!(ci_actor(&both).ci.as_deref(), Some("alice"));
        let actions = |v: &str| (v == "GITHUB_ACTOR").then(|| "bob".to_owned());
        assert_eq!(ci_actor(&actions).ci.as_deref(), Some("bob"));
    }

    fn deployment(
        id: u64,
        sha: char,
        state: &str,
        kind: &str,
        previous: Option<char>,
    ) -> Deployment {
        Deployment {
            id,
            sha: sha.to_string().repeat(40),
            created_at: chrono::Utc::now(),
            creator: Some("deploy-bot".to_owned()),
            payload: Some(Payload {
                kind: kind.to_owned(),
                previous_sha: previous.map(|p| p.to_string().repeat(40)),
                ..Payload::default()
            }),
            state: Some(state.to_owned()),
            description: None,
            log_url: None,
        }
    }

    #[test]
    fn only_gatekeepers_deployments_by_the_tokens_login_are_trusted() {
        let mut foreign = deployment(3, 'c', "success", "deploy", Some('b'));
        foreign.payload = None;
        let mut other_login = deployment(2, 'b', "success", "deploy", Some('a'));
        other_login.creator = Some("github-actions[bot]".to_owned());
        let ours = deployment(1, 'a', "success", "deploy", None);
        let listed = [foreign, other_login, ours];
        let kept: Vec<u64> = trusted(&listed, Some("deploy-bot"))
            .iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(kept, [1]);
        assert!(trusted(&listed, None).is_empty());
        let history = as_history(&listed, "production", Some("deploy-bot"));
        for foreign in [&history[1], &history[2]] {
            let run = foreign.run_event().unwrap();
            let message = run.message.clone().unwrap();
            assert!(message.starts_with("foreign, never credited"), "{message}");
            assert_eq!((&run.actor, &foreign.run), (&None, &None));
        }
        assert_eq!(history[0].user, "deploy-bot");
    }
}
