//! Commands asked in a comment on the release pull request (`/deploy production`),
//! for a CI job started by GitHub's `issue_comment` event: the strict reading of a
//! comment ([`command`]), the event ([`event`]), who may ask and where ([`scope`],
//! [`authorize`]), the one reply per target and its confirmations ([`reply`]).
//! Everything here is pure but [`answer`], which makes the requests and runs the
//! commands. Nothing here widens what the gate allows: a request only adds facts
//! (`request`) that rules may deny on, and a confirmation binds a run to the SHA
//! its asker saw.

pub mod answer;
pub mod command;
pub mod event;
pub mod reply;

use crate::audit::Actor;
use crate::config::{ChatopsRole, TargetConfig};
use crate::facts::Request;
use crate::sources::github::chatops::{Permission, PullBranches};

/// `via` of a request made in a comment.
pub const VIA: &str = "chatops";

/// Where a comment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thread<'a> {
    /// A pull request, with its branches.
    Pull(&'a PullBranches),
    /// An issue (not a pull request).
    Issue,
}

/// Whether a command for `target` may be taken on issue `number` of `repo`: the
/// target's open release pull request (head the release branch and base the base
/// branch, both in `repo`, which is one of the target's repos), or its
/// `chatops_issue`. `Err` says where to ask instead.
pub fn scope(
    target: &TargetConfig,
    repo: &str,
    number: u64,
    place: Thread<'_>,
) -> Result<(), String> {
    let configured = target
        .chatops_issue
        .as_deref()
        .and_then(|i| crate::config::issue_ref(i).ok());
    if let Some(issue) = &configured
        && issue.repo.eq_ignore_ascii_case(repo)
        && issue.number == number
    {
        return Ok(());
    }
    let ours = target
        .repos
        .iter()
        .any(|r| r.github.eq_ignore_ascii_case(repo));
    if let Thread::Pull(pull) = place {
        let same = |r: &Option<String>| r.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(repo));
        if ours
            && pull.state == "open"
            && pull.head_ref == target.release_branch
            && pull.base_ref == target.base_branch
            && same(&pull.head_repo)
            && same(&pull.base_repo)
        {
            return Ok(());
        }
    }
    let mut places = vec![format!(
        "on the open pull request from `{}` into `{}` of {}",
        target.release_branch,
        target.base_branch,
        target
            .repos
            .iter()
            .map(|r| r.github.as_str())
            .collect::<Vec<_>>()
            .join(" or ")
    )];
    if let Some(issue) = configured {
        places.push(format!("on {issue}"));
    }
    Err(format!(
        "commands for this target are taken only {} (not from a fork). Nothing was run.",
        places.join(", or ")
    ))
}

/// The role a permission answer gives, if it is at least `lowest`: GitHub's
/// `role_name` (write, maintain, admin), else for a custom role its base
/// `permission`. Anything unreadable or lower refuses.
pub fn authorize(permission: &Permission, lowest: ChatopsRole) -> Result<String, String> {
    let rank = |name: &str| match name {
        "write" | "push" => Some(ChatopsRole::Write),
        "maintain" => Some(ChatopsRole::Maintain),
        "admin" => Some(ChatopsRole::Admin),
        _ => None,
    };
    // A built-in role by its name; a custom role by the base permission it extends.
    let builtin = permission.role_name.as_deref().filter(|n| {
        matches!(
            *n,
            "read" | "triage" | "write" | "maintain" | "admin" | "none"
        )
    });
    let (name, role) = match builtin {
        Some(name) => (name.to_owned(), rank(name)),
        None => {
            let base = permission.permission.clone().unwrap_or_default();
            let name = permission.role_name.clone().unwrap_or_else(|| base.clone());
            (name, rank(&base).filter(|r| *r <= ChatopsRole::Write))
        }
    };
    match role {
        Some(role) if role >= lowest => Ok(name),
        _ => Err(format!(
            "the repository role {name:?} may not ask: {lowest} or higher is needed (config `chatops_role`)"
        )),
    }
}

/// The facts' `request` for a command asked by `login` with `role` in `comment_url`.
pub fn request(
    login: &str,
    role: &str,
    comment_url: &str,
    command: &command::Instruction,
) -> Request {
    Request {
        via: VIA.to_owned(),
        actor: login.to_owned(),
        role: role.to_owned(),
        comment_url: comment_url.to_owned(),
        command: command.to_string(),
    }
}

/// The run's actor as the audit record and the GitHub deployment carry it: how it
/// was asked, by whom (the commenter), and the comment.
pub fn stamp(actor: Option<Actor>, request: Option<&Request>) -> Option<Actor> {
    let Some(request) = request else {
        return actor;
    };
    let mut actor = actor.unwrap_or_default();
    actor.via = Some(request.via.clone());
    actor.ci = Some(request.actor.clone());
    actor.comment_url = Some(request.comment_url.clone());
    Some(actor)
}

/// Why a run asked in a comment may not go on.
#[derive(Debug, thiserror::Error)]
pub enum Unconfirmed {
    #[error("the request's command {0:?} is no command")]
    NoCommand(String),
    /// A confirmation of one kind of run handed to the other.
    #[error("the request's command {0:?} confirms another kind of run: nothing was run")]
    OtherRun(String),
    /// What the asker confirmed is no longer what would ship.
    #[error("{what} is now {now} but @{actor} confirmed {sha}: nothing was run; ask again")]
    Moved {
        what: &'static str,
        now: String,
        actor: String,
        sha: String,
    },
}

/// What a run stands on, to hold a confirmation asked in a comment to.
#[derive(Debug, Clone, Copy)]
pub enum Held<'a> {
    /// A deploy: the app's release head it would merge.
    ReleaseHead(Option<&'a str>),
    /// A rollback: the production SHA it would undo.
    Production(Option<&'a str>),
}

/// A run confirmed in a comment goes on only on the SHA its asker confirmed: the
/// app's release head (`/deploy … confirm SHA`) or production's SHA
/// (`/rollback … confirm SHA`) must still start with it, and a confirmation is for
/// its own kind of run only. `Ok` without a request, or for one that confirms
/// nothing (a dry run).
pub fn hold_to_confirmed(request: Option<&Request>, held: Held<'_>) -> Result<(), Unconfirmed> {
    let Some(request) = request else {
        return Ok(());
    };
    let Some(command) = command::Instruction::parse(&request.command) else {
        return Err(Unconfirmed::NoCommand(request.command.clone()));
    };
    let (what, now) = match (&command, held) {
        (command::Instruction::ConfirmDeploy { .. }, Held::ReleaseHead(now)) => {
            ("the app's release head", now)
        }
        (command::Instruction::ConfirmRollback { .. }, Held::Production(now)) => {
            ("production", now)
        }
        (
            command::Instruction::ConfirmDeploy { .. }
            | command::Instruction::ConfirmRollback { .. },
            _,
        ) => {
            return Err(Unconfirmed::OtherRun(request.command.clone()));
        }
        _ => return Ok(()),
    };
    let Some(sha) = command.confirmed_sha().filter(|s| !s.is_empty()) else {
        return Err(Unconfirmed::NoCommand(request.command.clone()));
    };
    match now {
        Some(now) if now.starts_with(sha) => Ok(()),
        now => Err(Unconfirmed::Moved {
            what,
            now: now.map_or("unknown", reply::short).to_owned(),
            actor: request.actor.clone(),
            sha: sha.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> TargetConfig {
        toml::from_str(
            r#"
app = "apangea"
deploy_repo = "o/aws-production"
deploy_remote = "aws-production"
notices_repo = "o/notices"
chatops_issue = "o/apangea#500"
[[repos]]
github = "o/apangea"
jenkins_job = "apangea-rc"
"#,
        )
        .unwrap()
    }

    fn pull(head_repo: Option<&str>, head: &str, base: &str) -> PullBranches {
        PullBranches {
            state: "open".to_owned(),
            head_ref: head.to_owned(),
            head_repo: head_repo.map(str::to_owned),
            base_ref: base.to_owned(),
            base_repo: Some("o/apangea".to_owned()),
        }
    }

    #[test]
    fn only_the_release_pull_request_or_the_configured_issue_is_in_scope() {
        let t = target();
        let release = pull(Some("o/apangea"), "rc", "master");
        assert!(scope(&t, "o/apangea", 412, Thread::Pull(&release)).is_ok());
        assert!(scope(&t, "o/apangea", 500, Thread::Issue).is_ok());
        // Into another base, from a fork, from another branch, another issue.
        for other in [
            pull(Some("o/apangea"), "rc", "develop"),
            pull(Some("mallory/apangea"), "rc", "master"),
            pull(None, "rc", "master"),
            pull(Some("o/apangea"), "feature", "master"),
        ] {
            let why = scope(&t, "o/apangea", 413, Thread::Pull(&other)).unwrap_err();
            assert!(
                why.contains("from `rc` into `master` of o/apangea"),
                "{why}"
            );
            assert!(why.contains("or on o/apangea#500"), "{why}");
        }
        assert!(scope(&t, "o/apangea", 7, Thread::Issue).is_err());
        assert!(scope(&t, "o/other", 412, Thread::Pull(&release)).is_err());
    }

    fn perm(role: Option<&str>, base: Option<&str>) -> Permission {
        Permission {
            role_name: role.map(str::to_owned),
            permission: base.map(str::to_owned),
        }
    }

    #[test]
    fn write_maintain_and_admin_may_ask_and_the_lowest_role_is_configurable() {
        for role in ["write", "maintain", "admin"] {
            assert_eq!(
                authorize(&perm(Some(role), Some("write")), ChatopsRole::Write).as_deref(),
                Ok(role)
            );
        }
        for role in ["read", "triage", "none"] {
            assert!(authorize(&perm(Some(role), Some("read")), ChatopsRole::Write).is_err());
        }
        assert!(authorize(&perm(Some("write"), Some("write")), ChatopsRole::Maintain).is_err());
        assert!(
            authorize(
                &perm(Some("maintain"), Some("write")),
                ChatopsRole::Maintain
            )
            .is_ok()
        );
        // A custom role counts as its base permission, never above write.
        assert!(authorize(&perm(Some("deployer"), Some("write")), ChatopsRole::Write).is_ok());
        assert!(authorize(&perm(Some("boss"), Some("admin")), ChatopsRole::Admin).is_err());
        assert!(authorize(&perm(Some("auditor"), Some("read")), ChatopsRole::Write).is_err());
        assert!(authorize(&perm(None, None), ChatopsRole::Write).is_err());
    }

    #[test]
    fn the_actor_says_chatops_who_asked_and_where() {
        let c = command::Instruction::parse("/deploy production").unwrap();
        let r = request(
            "alice",
            "write",
            "https://github.com/o/apangea/pull/412#issuecomment-1",
            &c,
        );
        let actor = stamp(None, Some(&r)).unwrap();
        assert_eq!(actor.via.as_deref(), Some("chatops"));
        assert_eq!(actor.ci.as_deref(), Some("alice"));
        assert!(actor.comment_url.unwrap().ends_with("issuecomment-1"));
        assert_eq!(stamp(None, None), None);
    }
}
