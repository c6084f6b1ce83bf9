//! Answering a command asked in a comment (`gatekeeper chatops --event FILE`),
//! once the event is read: it refuses what it must (a minimized or edited comment,
//! the wrong place, a role below `chatops_role`, a permission it cannot read),
//! acknowledges (👀 and one reply per target), then acts: the gate in process
//! (`/check`, `/deploy`), the other commands as the same CLI a person runs
//! (`window`, `status`, `deploy --yes`, `rollback --yes`, `unlock`), their output
//! quoted in the reply. A `/deploy` or `/rollback` runs only on its asker's
//! confirmation of the SHA judged. It runs the gate, reads the audit log and runs
//! gatekeeper itself, so it sits on the rollout layer (see `src/lib.rs`); the pure
//! rules are in [`crate::chatops`].

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use chrono::{Duration, Utc};

use crate::audit::{AuditLog, Event as AuditEvent};
use crate::cli::{ChatopsArgs, Format};
use crate::config::{Config, ConfigError};
use crate::decision::Decision;
use crate::facts::{Facts, Request};
use crate::gate::{self, Gate, GateError};
use crate::net::{Network, error_text};
use crate::render::hint::rollback_command;
use crate::render::{self, RenderError, TableStyle};
use crate::sources::github::GitHub;
use crate::sources::github::chatops::{IssueComment, Reaction};

use super::command::{FORMS, Instruction};
use super::event::CommentEvent;
use super::reply::{self, Pending, Refusal, Reply, judge, marker, pending_of, short};
use super::{self as rules, Thread};

/// Why a comment could not be answered (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ChatopsError {
    #[error("cannot connect to GitHub to answer the comment: {0}")]
    Connect(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// A request to GitHub failed: its message and causes, without any secret.
    #[error("GitHub: {0}")]
    GitHub(String),
    #[error("cannot encode the request: {0}")]
    Encode(serde_json::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// The request handed to `deploy` or `rollback` cannot be used (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("the chatops request {} {why}: it is written by `gatekeeper chatops`", .path.display())]
pub struct RequestError {
    pub path: PathBuf,
    pub why: String,
}

/// Answers `command` of the comment in `event`: where and who are judged, the
/// comment acknowledged, the command run and the reply written. Lines for the CI
/// log go to `out` (stdout); the gate's facts are collected by `collect`. True
/// when the command was done and succeeded, false when it was refused or failed.
pub fn answer(
    config: &Config,
    args: &ChatopsArgs,
    event: &CommentEvent,
    command: &Instruction,
    out: &dyn Fn(&str),
    collect: &dyn Fn(&Gate) -> Result<Facts, GateError>,
) -> Result<bool, ChatopsError> {
    // The run's one runtime and deadline, for the reply and the gate alike.
    let network = Network::start(config.limits()).map_err(ChatopsError::Runtime)?;
    let session = Conversation::connect(&network, config, event)?;
    // The comment as it is now: one minimized, or edited before this job ran, asks
    // for nothing (the event holds the text as first written).
    let now = session.block(session.github.comment_now(&event.comment.node_id))?;
    if now.minimized {
        say(out, "the comment is minimized (hidden): it runs no command");
        return Ok(true);
    }
    if now.edited || now.body != event.comment.body {
        say(
            out,
            "the comment was edited after it was made: an edited comment runs no command",
        );
        return Ok(true);
    }
    let target_name = command.target().unwrap_or("help").to_owned();
    let mut answer = Responder {
        session: &session,
        target: target_name.clone(),
        asked: format!("`{command}` asked by @{}", event.comment.login),
        run_url: crate::rollout::shared::ci_build_url(&crate::secrets::process_env),
        out,
    };

    let Some(role) = admit(config, event, command, &session, &mut answer)? else {
        return Ok(false);
    };
    let login = event.comment.login.clone();
    let request = rules::request(&login, &role, &event.comment.url, command);

    // Acknowledge: 👀, and the reply says it is being worked on.
    session.react(Reaction::Eyes);
    let existing = answer.existing()?;
    answer.write(
        existing.as_ref(),
        &Reply {
            target: answer.target.clone(),
            asked: answer.asked.clone(),
            body: "⏳ Working on it…".to_owned(),
            pending: existing.as_ref().and_then(|c| pending_of(&c.body)),
            rollback: None,
            run_url: answer.run_url.clone(),
        },
    )?;
    let existing = answer.existing()?;

    let act = Act {
        config,
        args,
        request: &request,
        login: &login,
        network: &network,
        out,
        collect,
    };
    let done = match command {
        Instruction::Help => Done::ok(help(config)),
        Instruction::Check { target } => act.check(target)?,
        Instruction::Window { target } => act.cli(&["window", target], None),
        Instruction::Status { target } => act.cli(&["status", target], None),
        Instruction::Unlock { target, reason } => {
            act.cli(&["unlock", target, "--reason", reason], None)
        }
        Instruction::Deploy { target, dry_run } => act.deploy(target, *dry_run)?,
        Instruction::Rollback { target } => act.rollback(target, &session)?,
        Instruction::ConfirmDeploy { target, sha }
        | Instruction::ConfirmRollback { target, sha } => {
            let kind = if matches!(command, Instruction::ConfirmDeploy { .. }) {
                "deploy"
            } else {
                "rollback"
            };
            let pending = existing.as_ref().and_then(|c| pending_of(&c.body));
            match judge(pending.as_ref(), kind, &login, sha, Utc::now()) {
                Ok(p) => act.confirmed(target, kind, &p, &session)?,
                Err(refusal) => {
                    let note = refusal.say(&login, kind, target);
                    let body = existing.as_ref().map_or_else(String::new, |c| {
                        if matches!(refusal, Refusal::TooLate { .. }) {
                            without_pending(&c.body)
                        } else {
                            c.body.clone()
                        }
                    });
                    answer.note(existing.as_ref(), &body, &note)?;
                    session.react(Reaction::Refused);
                    return Ok(false);
                }
            }
        }
    };
    // A confirmed run may outlast the deadline the reply was connected under: the
    // answer gets a connection, and a deadline, of its own from here.
    let fresh = session.renewed(config)?;
    let (session, answer) = (
        &fresh,
        Responder {
            session: &fresh,
            ..answer
        },
    );
    // The CI log shows the answer too (a command's output was shown as it ran).
    if !done.logged {
        out(&format!("{}\n", done.body.trim_end()));
    }
    let pending = done.pending.clone();
    answer.write(
        existing.as_ref(),
        &Reply {
            target: answer.target.clone(),
            asked: answer.asked.clone(),
            body: done.body,
            pending,
            rollback: done.rollback,
            run_url: answer.run_url.clone(),
        },
    )?;
    session.react(if done.ok {
        Reaction::Done
    } else {
        Reaction::Refused
    });
    Ok(done.ok)
}

/// Where and who: the comment is on the target's release pull request or its
/// chatops issue, and its author has at least `chatops_role`; the role, or `None`
/// when the comment was refused (the refusal is answered).
fn admit(
    config: &Config,
    event: &CommentEvent,
    command: &Instruction,
    session: &Conversation,
    answer: &mut Responder<'_>,
) -> Result<Option<String>, ChatopsError> {
    // Where: the target's release pull request or its chatops issue.
    let target = match command.target() {
        None => None,
        Some(name) => match config.targets.get(name) {
            Some(t) => Some(t),
            None => {
                let known: Vec<&str> = config.targets.keys().map(String::as_str).collect();
                answer.refuse(&format!(
                    "there is no target `{name}` (known: {}). Nothing was run.",
                    known.join(", ")
                ))?;
                return Ok(None);
            }
        },
    };
    if let Some(target) = target {
        let pull = if event.on_pull_request {
            Some(session.block(session.github.pull_branches(&event.repo, event.number))?)
        } else {
            None
        };
        let place = pull.as_ref().map_or(Thread::Issue, Thread::Pull);
        if let Err(why) = rules::scope(target, &event.repo, event.number, place) {
            answer.refuse(&format!("@{}: {why}", event.comment.login))?;
            return Ok(None);
        }
    }

    // Who: a role of at least `chatops_role`, read from GitHub; a failed lookup refuses.
    let login = event.comment.login.clone();
    let role = match session.block(session.github.permission(&event.repo, &login)) {
        Ok(permission) => rules::authorize(&permission, config.chatops_role),
        Err(e) => Err(format!(
            "the permission of @{login} could not be read ({})",
            error_text(&e)
        )),
    };
    match role {
        Ok(role) => Ok(Some(role)),
        Err(why) => {
            answer.refuse(&format!("@{login} may not ask: {why}. Nothing was run."))?;
            Ok(None)
        }
    }
}

/// A line on stdout, for the CI log.
fn say(out: &dyn Fn(&str), line: &str) {
    out(&format!("gatekeeper chatops: {line}\n"));
}

/// The connection to the repository the comment is in.
struct Conversation {
    network: Network,
    github: GitHub,
    /// The token's login, when GitHub tells it (an Actions token does not).
    login: Option<String>,
    repo: String,
    number: u64,
    comment: u64,
}

impl Conversation {
    fn connect(
        network: &Network,
        config: &Config,
        event: &CommentEvent,
    ) -> Result<Self, ChatopsError> {
        let github = Self::client(network, config)?;
        let login = network.block_on(github.login()).ok();
        Ok(Self {
            network: network.clone(),
            github,
            login,
            repo: event.repo.clone(),
            number: event.number,
            comment: event.comment.id,
        })
    }

    /// The same conversation on a deadline of its own that runs from now (the
    /// token's login, already read, is kept).
    fn renewed(&self, config: &Config) -> Result<Self, ChatopsError> {
        let network = self.network.renewed();
        Ok(Self {
            github: Self::client(&network, config)?,
            network,
            login: self.login.clone(),
            repo: self.repo.clone(),
            number: self.number,
            comment: self.comment,
        })
    }

    fn client(network: &Network, config: &Config) -> Result<GitHub, ChatopsError> {
        network
            .block_on(async {
                let transport = network.transport()?;
                crate::sources::github_client(config, &transport, &crate::secrets::process_env)
            })
            .map_err(|e| ChatopsError::Connect(e.to_string()))
    }

    fn block<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, crate::sources::github::GithubError>>,
    ) -> Result<T, ChatopsError> {
        self.network
            .block_on(f)
            .map_err(|e| ChatopsError::GitHub(error_text(&e)))
    }

    /// A reaction on the command's comment; a failure is only said.
    fn react(&self, reaction: Reaction) {
        if let Err(e) = self
            .network
            .block_on(self.github.react(&self.repo, self.comment, reaction))
        {
            eprintln!(
                "gatekeeper: warning: cannot react to the comment: {}",
                error_text(&e)
            );
        }
    }

    /// Whether gatekeeper wrote `comment`: the token's login, or (an Actions token,
    /// which cannot read its login) an app's account.
    fn wrote(&self, comment: &IssueComment) -> bool {
        match &self.login {
            Some(login) => comment.author.as_deref() == Some(login.as_str()),
            None => comment.author_is_bot,
        }
    }
}

/// The one reply for a target on this issue.
struct Responder<'a> {
    session: &'a Conversation,
    target: String,
    asked: String,
    run_url: Option<String>,
    out: &'a dyn Fn(&str),
}

impl Responder<'_> {
    /// The reply gatekeeper wrote for this target before, if any.
    fn existing(&self) -> Result<Option<IssueComment>, ChatopsError> {
        let s = self.session;
        let comments = s.block(s.github.issue_comments(&s.repo, s.number))?;
        let first = marker(&self.target);
        Ok(comments
            .into_iter()
            .find(|c| c.body.lines().next() == Some(first.as_str()) && s.wrote(c)))
    }

    /// Creates the reply, or updates the one there.
    fn write(&self, existing: Option<&IssueComment>, reply: &Reply) -> Result<(), ChatopsError> {
        self.write_text(existing, &reply.render())
    }

    fn write_text(&self, existing: Option<&IssueComment>, text: &str) -> Result<(), ChatopsError> {
        let s = self.session;
        match existing {
            Some(c) => s.block(s.github.edit_comment(&s.repo, c.id, text)),
            None => s
                .block(s.github.create_comment(&s.repo, s.number, text))
                .map(|_| ()),
        }
    }

    /// A refusal: said in the reply, 👎 on the comment, nothing else.
    fn refuse(&mut self, why: &str) -> Result<(), ChatopsError> {
        say(self.out, why);
        let existing = self.existing()?;
        self.write(
            existing.as_ref(),
            &Reply {
                target: self.target.clone(),
                asked: self.asked.clone(),
                body: format!("❌ {why}"),
                // A refusal changes nothing: a confirmation still waits.
                pending: existing.as_ref().and_then(|c| pending_of(&c.body)),
                rollback: None,
                run_url: self.run_url.clone(),
            },
        )?;
        self.session.react(Reaction::Refused);
        Ok(())
    }

    /// `note` added to the reply's `body`.
    fn note(
        &self,
        existing: Option<&IssueComment>,
        body: &str,
        note: &str,
    ) -> Result<(), ChatopsError> {
        say(self.out, note);
        let text = if body.is_empty() {
            format!("{}\n> {note}\n", marker(&self.target))
        } else {
            reply::with_note(body, note)
        };
        self.write_text(existing, &text)
    }
}

/// A reply's body without its pending confirmation (it expired).
fn without_pending(body: &str) -> String {
    body.lines()
        .filter(|l| !l.starts_with("<!-- gatekeeper:pending "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a command did.
struct Done {
    /// The command was done and succeeded.
    ok: bool,
    body: String,
    pending: Option<Pending>,
    rollback: Option<String>,
    /// The body is a command's output, already in the CI log.
    logged: bool,
}

impl Done {
    fn ok(body: String) -> Self {
        Self::of(true, body, None)
    }

    fn of(ok: bool, body: String, pending: Option<Pending>) -> Self {
        Self {
            ok,
            body,
            pending,
            rollback: None,
            logged: false,
        }
    }
}

struct Act<'a> {
    config: &'a Config,
    args: &'a ChatopsArgs,
    request: &'a Request,
    login: &'a str,
    network: &'a Network,
    out: &'a dyn Fn(&str),
    collect: &'a dyn Fn(&Gate) -> Result<Facts, GateError>,
}

impl Act<'_> {
    /// The gate in process, with the request in the facts; recorded like `check`.
    fn gate(&self, target: &str) -> Result<(Facts, Decision), ChatopsError> {
        let mut gate = Gate::with_config(
            Some(self.config.clone()),
            &gate::Case {
                target,
                config: &self.args.config.config,
                policies: self.args.config.policies.as_deref(),
                facts_file: None,
                planned: gate::Planned::default(),
                overrides: &[],
                reason: None,
                by: None,
                no_config: false,
                verbose: false,
            },
        )?;
        gate.set_request(Some(self.request.clone()));
        gate.share_network(self.network);
        let facts = (self.collect)(&gate)?;
        let judgement = gate.decide(facts)?;
        if let Err(e) = AuditLog::of(self.config).append(&judgement.record("chatops")) {
            eprintln!("gatekeeper: warning: {e}");
        }
        Ok((judgement.facts, judgement.decision))
    }

    fn markdown(decision: &Decision) -> Result<String, ChatopsError> {
        let style = TableStyle {
            color: false,
            ..TableStyle::default()
        };
        Ok(render::render(decision, Format::Markdown, style)?)
    }

    fn check(&self, target: &str) -> Result<Done, ChatopsError> {
        let (_, decision) = self.gate(target)?;
        Ok(Done::of(decision.allow, Self::markdown(&decision)?, None))
    }

    fn deploy(&self, target: &str, dry_run: bool) -> Result<Done, ChatopsError> {
        let (facts, decision) = self.gate(target)?;
        let mut body = Self::markdown(&decision)?;
        if !decision.allow {
            body.push_str(&format!(
                "\n❌ Deploy of {target} denied: nothing was changed.\n"
            ));
            return Ok(Done::of(false, body, None));
        }
        if dry_run {
            body.push_str("\nDry run: nothing was run.\n");
            return Ok(Done::ok(body));
        }
        let Some(sha) = facts.repos.first().and_then(|r| r.release_sha.clone()) else {
            body.push_str("\n❌ The app's release head is unknown, so no confirmation can name it: nothing was run.\n");
            return Ok(Done::of(false, body, None));
        };
        let pending = self.pending("deploy", &sha);
        body.push_str(&format!(
            "\nTo deploy {app}@{short}, @{login} replies `/deploy {target} confirm {short}` by {until}. Nobody else can confirm, and the deploy goes on only while the release head is {short}.\n",
            app = facts.repos.first().map_or("", |r| r.name.as_str()),
            short = short(&sha),
            login = self.login,
            until = pending.until.format("%Y-%m-%d %H:%M UTC"),
        ));
        Ok(Done::of(true, body, Some(pending)))
    }

    fn rollback(&self, target: &str, session: &Conversation) -> Result<Done, ChatopsError> {
        let t = self.config.target(target)?;
        let sha = session.block(session.github.branch_head(&t.deploy_repo, &t.base_branch))?;
        let plan = self.cli(&["rollback", target, "--dry-run"], None);
        if !plan.ok {
            return Ok(plan);
        }
        let pending = self.pending("rollback", &sha);
        let body = format!(
            "{}\nTo roll {target} back from {short} (what production runs now), @{login} replies `/rollback {target} confirm {short}` by {until}.\n",
            plan.body,
            short = short(&sha),
            login = self.login,
            until = pending.until.format("%Y-%m-%d %H:%M UTC"),
        );
        Ok(Done::of(true, body, Some(pending)))
    }

    fn pending(&self, command: &str, sha: &str) -> Pending {
        Pending {
            command: command.to_owned(),
            actor: self.login.to_owned(),
            sha: sha.to_owned(),
            until: Utc::now() + Duration::minutes(i64::from(self.config.chatops_confirm_minutes)),
        }
    }

    /// A confirmed `/deploy` or `/rollback`: the same command a person runs, with
    /// `--yes` (this confirmation is the yes) and the request, held to the SHA.
    fn confirmed(
        &self,
        target: &str,
        kind: &str,
        pending: &Pending,
        session: &Conversation,
    ) -> Result<Done, ChatopsError> {
        if kind == "rollback" {
            // Production must still run what the asker saw.
            let t = self.config.target(target)?;
            let now = session.block(session.github.branch_head(&t.deploy_repo, &t.base_branch))?;
            if now != pending.sha {
                return Ok(Done::of(
                    false,
                    format!(
                        "❌ Production moved from {} to {} since the rollback was asked: nothing was run; ask `/rollback {target}` again.",
                        pending.short(),
                        short(&now)
                    ),
                    None,
                ));
            }
        }
        let file = RequestFile::write(self.request)?;
        let mut argv = vec![kind, target, "--yes"];
        if kind == "deploy" {
            argv.extend(["--format", "markdown"]);
        }
        let log = AuditLog::of(self.config);
        let before = log.read().map(|r| r.len()).unwrap_or(0);
        let mut done = self.cli(&argv, Some(&file.path));
        done.rollback = log.read().ok().and_then(|records| {
            records
                .iter()
                .skip(before)
                .rev()
                .filter(|r| r.target == target)
                .filter_map(|r| match &r.event {
                    AuditEvent::Deploy(run) | AuditEvent::Rollback(run) => Some(run),
                    _ => None,
                })
                .find(|run| run.moved_production())
                .and_then(|run| run.before_sha.clone())
                .map(|before| {
                    format!(
                        "`/rollback {target}` here, or `{}`",
                        rollback_command(&self.args.config.config, target, short(&before))
                    )
                })
        });
        Ok(done)
    }

    /// Runs gatekeeper's own CLI (`argv` and the config flags), its output quoted.
    fn cli(&self, argv: &[&str], request: Option<&Path>) -> Done {
        let program = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("gatekeeper"));
        let mut cmd = Process::new(program);
        cmd.args(argv).arg("--config").arg(&self.args.config.config);
        if let Some(dir) = &self.args.config.policies {
            cmd.arg("--policies").arg(dir);
        }
        if let Some(file) = request {
            cmd.arg("--chatops-request").arg(file);
        }
        let shown = format!("gatekeeper {}", argv.join(" "));
        say(self.out, &format!("running `{shown}`"));
        let out = match cmd.stdin(std::process::Stdio::null()).output() {
            Ok(out) => out,
            Err(e) => {
                return Done::of(
                    false,
                    format!("❌ `{shown}` could not be started: {e}"),
                    None,
                );
            }
        };
        // The CI log gets everything too.
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (self.out)(&stdout);
        let _ = std::io::stderr().write_all(stderr.as_bytes());
        let code = out.status.code();
        let ok = code == Some(0);
        let mark = if code == Some(0) { "✅" } else { "❌" };
        let exit = code.map_or_else(|| "a signal".to_owned(), |c| format!("exit {c}"));
        let mut body = format!("{mark} `{shown}` ended with {exit}.\n\n");
        // The decision's markdown as it is; any other output as text.
        if argv.contains(&"markdown") {
            body.push_str(&stdout);
            body.push_str(&quoted("The run", &stderr));
        } else {
            body.push_str(&quoted("Output", &format!("{stdout}{stderr}")));
        }
        Done {
            logged: true,
            ..Done::of(ok, body, None)
        }
    }
}

/// `text` in a fenced block that no line of it can close.
fn quoted(title: &str, text: &str) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    let mut fence = "```".to_owned();
    while text.contains(&fence) {
        fence.push('`');
    }
    format!(
        "\n<details open><summary>{title}</summary>\n\n{fence}text\n{}\n{fence}\n</details>\n",
        text.trim_end()
    )
}

/// `/help`: the forms and the targets.
fn help(config: &Config) -> String {
    let targets: Vec<String> = config.targets.keys().map(|t| format!("`{t}`")).collect();
    let mut out = String::from("Commands (the first line of a new comment, exactly):\n\n");
    for form in FORMS {
        out.push_str(&format!("- `{form}`\n"));
    }
    out.push_str(&format!("\nTargets: {}.\n", targets.join(", ")));
    out
}

/// The request handed to a `deploy` or `rollback` this command runs.
struct RequestFile {
    path: PathBuf,
}

impl RequestFile {
    fn write(request: &Request) -> Result<Self, ChatopsError> {
        let path = std::env::temp_dir().join(format!(
            "gatekeeper-request-{}-{}.json",
            std::process::id(),
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        let json = serde_json::to_string(request).map_err(ChatopsError::Encode)?;
        crate::files::write_replacing(&path, &json, &[]).map_err(|e| ChatopsError::Write {
            path: e.path().to_owned(),
            source: match e {
                crate::files::FileError::Io { source, .. } => source,
                other => std::io::Error::new(std::io::ErrorKind::InvalidInput, other.to_string()),
            },
        })?;
        Ok(Self { path })
    }
}

impl Drop for RequestFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The request `gatekeeper chatops` handed to `deploy` or `rollback`
/// (`--chatops-request FILE`), read strictly.
pub fn read_request(path: Option<&Path>) -> Result<Option<Request>, RequestError> {
    let Some(path) = path else {
        return Ok(None);
    };
    let bad = |why: String| RequestError {
        path: path.to_owned(),
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot be read ({e})")))?;
    let request: Request =
        serde_json::from_str(&text).map_err(|e| bad(format!("is not a request ({e})")))?;
    if request.via != rules::VIA || Instruction::parse(&request.command).is_none() {
        return Err(bad("names no chatops command".to_owned()));
    }
    Ok(Some(request))
}
