//! The command line: every subcommand and the flags they share, as clap derive types.
//! Only parsing lives here; `commands/` does the work.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use clap::{Args, Parser, Subcommand, ValueEnum};

mod attest;
pub use attest::{
    AttestCommand, AttestKeygenArgs, AttestOutArgs, AttestPredicateArgs, AttestVerifyArgs,
    KeyTypeArg, VerifyFormat,
};

#[derive(Debug, Parser)]
#[command(
    name = "gatekeeper",
    version = crate::build_info::long_version(),
    about = "A preflight gate for production deploys: facts from Jenkins, New Relic and GitHub, rules in Rego",
    long_about = "gatekeeper collects facts from Jenkins, New Relic, GitHub and the clock, evaluates the \
Rego policies in policies/*.rego over them, and prints a decision. `deploy` runs the runbook only on a pass.\n\n\
Exit codes: 0 allow / success, 1 deny / a step failed, 2 no decision could be made \
(bad config or flags, a broken policy, an unreadable facts file).",
    after_help = "Examples:\n  gatekeeper check production\n  gatekeeper check production --facts fixtures/facts/green.json\n  gatekeeper deploy production --dry-run\n  gatekeeper policy test"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Collect facts, evaluate the policies, print the decision (exit 0 allow, 1 deny, 2 undecided).
    #[command(
        after_help = "Examples:\n  gatekeeper check production\n  gatekeeper check production --facts fixtures/facts/green.json --format json\n  gatekeeper check production --downtime --start 2026-11-28T02:00:00-05:00 --minutes 90"
    )]
    Check(CheckArgs),
    /// Collect facts and print the facts document as JSON (to debug a policy, or to record).
    #[command(
        after_help = "Examples:\n  gatekeeper facts production > facts.json\n  gatekeeper check production --facts facts.json"
    )]
    Facts(FactsArgs),
    /// Check with live facts, then run the deploy runbook on a pass.
    #[command(
        after_help = "Examples:\n  gatekeeper deploy production --dry-run\n  gatekeeper deploy production --dry-run --facts fixtures/facts/green.json\n  gatekeeper deploy production --yes"
    )]
    Deploy(DeployArgs),
    /// Put production back on the SHA it ran before the last deploy (GitHub's deployments and the local audit log), or --to SHA.
    #[command(
        after_help = "Examples:\n  gatekeeper rollback production --dry-run\n  gatekeeper rollback production --to 3f2a9c1 --yes"
    )]
    Rollback(RollbackArgs),
    /// Work with the policies: run their test_* rules, or check them against recorded facts.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// The next times at which the time-dependent checks would pass.
    #[command(
        after_help = "Examples:\n  gatekeeper window production --downtime --minutes 90\n  gatekeeper window production --facts fixtures/facts/green.json --days 7"
    )]
    Window(WindowArgs),
    /// Draft the downtime notice (e-mail and issue body) with its five required fields.
    #[command(
        after_help = "Example:\n  gatekeeper notice production --start 2026-11-28T02:00:00-05:00 --minutes 120 \\\n    --nature \"database migrations for the new gradebook\" --affected \"all users\" --experience \"maintenance page\""
    )]
    Notice(NoticeArgs),
    /// Remove a target's deploy lock that a run left behind (it is recorded).
    #[command(
        after_help = "Example:\n  gatekeeper unlock production --reason \"the Jenkins agent died mid-deploy; production checked by hand\""
    )]
    Unlock(UnlockArgs),
    /// Show the last deploys and rollbacks of a target: GitHub's deployments merged with the local audit log.
    #[command(after_help = "Example:\n  gatekeeper history production")]
    History(HistoryArgs),
    /// What production runs and which run put it there, who holds the lock, what waits on the release branch (read-only, decides nothing).
    #[command(
        after_help = "Examples:\n  gatekeeper status production\n  gatekeeper status production --format json"
    )]
    Status(StatusArgs),
    /// Answer a command asked in a comment (`/deploy production`), for a CI job started by GitHub's issue_comment event.
    #[command(
        after_help = "Example (GitHub Actions, on: issue_comment):\n  gatekeeper chatops --event \"$GITHUB_EVENT_PATH\""
    )]
    Chatops(ChatopsArgs),
    /// Signed decisions: make a key, verify a signed decision offline, write the unsigned predicate.
    #[command(subcommand)]
    Attest(AttestCommand),
    /// Share the facts archive through a ref on the deploy remote (push adds, pull copies).
    #[command(subcommand)]
    Archive(ArchiveCommand),
    /// Set up a repository for a new team: gatekeeper.toml, policies/ and demo facts (never overwrites).
    #[command(
        after_help = "Without a terminal (or with --no-input) every answer without a default must be a flag.\n\n\
Example:\n  gatekeeper init acme-gate --repo acme/web --repo acme/worker --deploy-repo acme/web-deploy \\\n    \
--notices-repo acme/notices --approver ada --vetter ada --vetter grace --timezone Europe/Berlin \\\n    \
--jenkins-url https://ci.acme.example --newrelic-account 42 --smoke-url https://acme.example/up \\\n    \
--notice-to ops@acme.example"
    )]
    Init(Box<InitArgs>),
    /// Print shell completions.
    #[command(
        after_help = "Example:\n  gatekeeper completions bash > /etc/bash_completion.d/gatekeeper"
    )]
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The directory to set up (created when missing; default: the current one).
    pub dir: Option<PathBuf>,
    /// A GitHub release repo, owner/name (repeatable or comma-separated; the app first).
    #[arg(long = "repo", value_name = "OWNER/NAME")]
    pub repos: Vec<String>,
    /// The Jenkins job of each --repo, in the same order (default: the repo's name).
    #[arg(long = "jenkins-job", value_name = "JOB")]
    pub jenkins_jobs: Vec<String>,
    /// The GitHub repo whose base branch head is the production SHA.
    #[arg(long, value_name = "OWNER/NAME")]
    pub deploy_repo: Vec<String>,
    /// The GitHub repo whose issues are the downtime notices.
    #[arg(long, value_name = "OWNER/NAME")]
    pub notices_repo: Vec<String>,
    /// A GitHub login whose approval releases a pull request (repeatable or comma-separated).
    #[arg(long = "approver", value_name = "LOGIN")]
    pub approvers: Vec<String>,
    /// A GitHub login who vets downtime notices (repeatable or comma-separated).
    #[arg(long = "vetter", value_name = "LOGIN")]
    pub vetters: Vec<String>,
    /// The IANA time zone of the teaching hours, freezes and notices.
    #[arg(long, value_name = "ZONE")]
    pub timezone: Vec<String>,
    /// The Jenkins URL.
    #[arg(long, value_name = "URL")]
    pub jenkins_url: Vec<String>,
    /// The New Relic account id.
    #[arg(long, value_name = "ID")]
    pub newrelic_account: Vec<String>,
    /// A URL that must answer 200 after a deploy (repeatable or comma-separated).
    #[arg(long = "smoke-url", value_name = "URL")]
    pub smoke_urls: Vec<String>,
    /// The address the downtime e-mail goes to.
    #[arg(long, value_name = "ADDRESS")]
    pub notice_to: Vec<String>,
    /// The New Relic appName (default: the first repo's name).
    #[arg(long, value_name = "NAME")]
    pub app: Option<String>,
    /// The target's name.
    #[arg(long, value_name = "NAME", default_value = "production")]
    pub target: String,
    /// The git remote the runbook pushes the app to.
    #[arg(long, value_name = "REMOTE", default_value = "production")]
    pub deploy_remote: String,
    /// The branch that ships.
    #[arg(long, value_name = "BRANCH", default_value = "rc")]
    pub release_branch: String,
    /// The branch production runs.
    #[arg(long, value_name = "BRANCH", default_value = "master")]
    pub base_branch: String,
    /// The days of live teaching (comma-separated weekdays).
    #[arg(
        long,
        value_name = "DAYS",
        default_value = "Monday,Tuesday,Wednesday,Thursday,Friday"
    )]
    pub teaching_days: Vec<String>,
    /// Start of live teaching, HH:MM local time.
    #[arg(long, value_name = "HH:MM", default_value = "07:00")]
    pub teaching_start: String,
    /// End of live teaching, HH:MM local time.
    #[arg(long, value_name = "HH:MM", default_value = "21:00")]
    pub teaching_end: String,
    /// Never prompt, even at a terminal: a missing answer is exit 2 naming its flag.
    #[arg(long)]
    pub no_input: bool,
}

/// Flags every command that reads config shares.
#[derive(Debug, Args, Clone)]
pub struct ConfigArgs {
    /// The config file.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        default_value = "gatekeeper.toml"
    )]
    pub config: PathBuf,
    /// The policy directory (default: `policies` from config, else ./policies).
    #[arg(long, global = true, value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// Log every request to Jenkins, New Relic and GitHub on stderr (secrets scrubbed).
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
}

/// The planned deploy window and the clock.
#[derive(Debug, Args, Clone, Default)]
pub struct PlanArgs {
    /// Evaluate as if now were this time (RFC 3339). Refused by deploy.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    pub at: Option<DateTime<FixedOffset>>,
    /// Treat the deploy as needing downtime, whatever the facts say.
    #[arg(long)]
    pub downtime: bool,
    /// Start of the planned window (RFC 3339; default: now).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    pub start: Option<DateTime<FixedOffset>>,
    /// Length of the planned window in minutes (default: `deploy_minutes` from config).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10080))]
    pub minutes: Option<u32>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The target, as named under [targets.NAME] in the config.
    pub target: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Use a recorded facts document instead of collecting (a file; `-` is refused).
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub facts: Option<PathBuf>,
    /// With --facts: ignore the config, to evaluate a document about another target
    /// or zone (the policies come from --policies, else ./policies).
    #[arg(long, requires = "facts")]
    pub no_config: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the chosen format to FILE; the table still goes to the terminal.
    /// Without it the format goes to stdout (`-` is refused).
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub output: Option<PathBuf>,
    /// Also write FORMAT (json, junit, markdown, github, table) to FILE (repeatable);
    /// the terminal keeps --format.
    #[arg(long = "report", value_name = "FORMAT=FILE", value_parser = parse_report)]
    pub reports: Vec<ReportArg>,
    /// Override a failing check (repeatable; only checks the policy settings allow).
    #[arg(long = "override", value_name = "CHECK_ID", requires = "reason")]
    pub overrides: Vec<String>,
    /// Why the overrides are needed (recorded with them); only with --override.
    #[arg(long, value_name = "TEXT", requires = "overrides")]
    pub reason: Option<String>,
    /// Who makes the overrides (default: the CI user, else $USER); only with --override.
    #[arg(long, value_name = "NAME", requires = "overrides")]
    pub by: Option<String>,
    /// Print each failing check's evidence and the policies' print() output.
    #[arg(long)]
    pub explain: bool,
    #[command(flatten)]
    pub attest: AttestOutArgs,
}

#[derive(Debug, Args)]
pub struct FactsArgs {
    /// The target, as named under [targets.NAME] in the config.
    pub target: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Write the facts document to FILE instead of stdout (`-` is refused: without
    /// --output it goes to stdout).
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The target, as named under [targets.NAME] in the config.
    pub target: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// With --dry-run only: preview the plan on a recorded facts document (a deploy
    /// itself is decided on live facts only).
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub facts: Option<PathBuf>,
    /// Refused: a deploy is decided on the real clock only.
    #[arg(long, value_name = "RFC3339", hide = true)]
    pub at: Option<String>,
    /// Treat the deploy as needing downtime, whatever the facts say.
    #[arg(long)]
    pub downtime: bool,
    /// Length of the planned window in minutes (default: `deploy_minutes` from config).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10080))]
    pub minutes: Option<u32>,
    /// Print the plan and run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Override a failing check (repeatable; only checks the policy settings allow).
    #[arg(long = "override", value_name = "CHECK_ID", requires = "reason")]
    pub overrides: Vec<String>,
    /// Why the overrides are needed (recorded with them); only with --override.
    #[arg(long, value_name = "TEXT", requires = "overrides")]
    pub reason: Option<String>,
    /// Who makes the overrides (default: the CI user, else $USER); only with --override.
    #[arg(long, value_name = "NAME", requires = "overrides")]
    pub by: Option<String>,
    /// Output format of the decision.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// While the gate denies, wait and decide again instead of stopping: at the next
    /// allowed start `window` finds, else every --interval; go on once the allows held
    /// for --steady. The lock is taken only when the runbook starts.
    #[arg(long, conflicts_with_all = ["dry_run", "facts"])]
    pub wait: bool,
    /// With --wait: give up after this long (exit 1, with the last decision).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = crate::wait::parse_duration)]
    pub timeout: std::time::Duration,
    /// With --wait: how often to decide again when the window cannot say when the
    /// checks will pass (throughput, tests); with --wait-for-lock, how often to look.
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = crate::wait::parse_duration)]
    pub interval: std::time::Duration,
    /// With --wait: how long consecutive allows must hold before the deploy goes on.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = crate::wait::parse_duration)]
    pub steady: std::time::Duration,
    /// When another run holds the lock, wait up to this long for it (naming the
    /// holder) instead of refusing at once.
    #[arg(long, value_name = "DURATION", value_parser = crate::wait::parse_duration, conflicts_with = "dry_run")]
    pub wait_for_lock: Option<std::time::Duration>,
    /// The request of a comment (`gatekeeper chatops` writes it): put in the facts,
    /// stamped on the run's records, and the run held to the SHA it confirmed.
    #[arg(long, value_name = "FILE", hide = true)]
    pub chatops_request: Option<PathBuf>,
    #[command(flatten)]
    pub attest: AttestOutArgs,
    /// The signed decision a target with `require_attestation` must be given: it
    /// must say PASSED for the release heads about to be merged and this target.
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub attestation: Option<std::path::PathBuf>,
    /// Skip the guard after the deploy (the numbers are not watched); recorded.
    #[arg(long)]
    pub no_guard: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The target, as named under [targets.NAME] in the config.
    pub target: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The SHA to put back (default: the one recorded before the last deploy); only
    /// a SHA production ran before, by GitHub's deployments or the local audit log,
    /// is accepted.
    #[arg(long, value_name = "SHA")]
    pub to: Option<String>,
    /// Why: recorded with the rollback. Required with --to when no deploy history
    /// can be read (neither GitHub's deployments nor the local audit log), the one
    /// case in which --to may name a SHA the history cannot vouch for.
    #[arg(long, value_name = "TEXT", requires = "to")]
    pub reason: Option<String>,
    /// Print the plan and run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// The request of a comment (`gatekeeper chatops` writes it).
    #[arg(long, value_name = "FILE", hide = true)]
    pub chatops_request: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ArchiveCommand {
    /// Add this machine's archived facts to the ref on the deploy remote.
    #[command(after_help = "Example:\n  gatekeeper archive push production")]
    Push(ArchiveArgs),
    /// Copy the archived facts this machine lacks from the ref on the deploy remote.
    #[command(after_help = "Example:\n  gatekeeper archive pull production")]
    Pull(ArchiveArgs),
}

#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// The target, as named under [targets.NAME] in the config.
    pub target: String,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run the policies' test_* rules, like `opa test`.
    #[command(
        after_help = "Examples:\n  gatekeeper policy test\n  gatekeeper policy test --run throughput --verbose\n  gatekeeper policy test policies --coverage --threshold 90\n  gatekeeper policy test --format json"
    )]
    Test(PolicyTestArgs),
    /// Load the policies, evaluate the decision on recorded facts, and check the decision contract.
    #[command(
        after_help = "Examples:\n  gatekeeper policy check\n  gatekeeper policy check --policies policies fixtures/facts/green.json"
    )]
    Check(PolicyCheckArgs),
    /// Replay archived and recorded facts under the base and the candidate policies: what a rule change loosens or tightens.
    #[command(
        after_help = "Examples:\n  gatekeeper policy impact --base origin/main\n  gatekeeper policy impact --base-dir /tmp/old-policies --fail-on any --windows\n  gatekeeper policy impact --format markdown --output impact.md"
    )]
    Impact(PolicyImpactArgs),
}

#[derive(Debug, Args)]
pub struct PolicyImpactArgs {
    /// The base policies from a git ref (its copy of the candidate's directory; default: the merge-base of HEAD with the base branch).
    #[arg(long, value_name = "REF", conflicts_with = "base_dir")]
    pub base: Option<String>,
    /// The base policies from a directory.
    #[arg(long, value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
    /// The candidate policies (default: `policies` from config, else ./policies).
    #[arg(long, value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// The config file, for the archive and the audit log (optional).
    #[arg(long, value_name = "FILE", default_value = "gatekeeper.toml")]
    pub config: PathBuf,
    /// The facts archive (default: `archive` from config, else .gatekeeper/facts).
    #[arg(long, value_name = "DIR")]
    pub archive: Option<PathBuf>,
    /// Another facts document to replay (repeatable; fixtures/facts/*.json are always replayed).
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub facts: Vec<PathBuf>,
    /// Only archived documents judged within this long (e.g. 30d, 12h, 2w).
    #[arg(long, value_name = "DURATION", value_parser = crate::wait::parse_duration)]
    pub since: Option<std::time::Duration>,
    /// Only archived documents of this target.
    #[arg(long, value_name = "T")]
    pub target: Option<String>,
    /// Exit 1 when a document is in this class.
    #[arg(long, value_enum, default_value_t = FailOn::Loosened)]
    pub fail_on: FailOn,
    /// Compare the windows the two sets allow over the next days.
    #[arg(long)]
    pub windows: bool,
    /// With --windows: how many days ahead to search.
    #[arg(long, value_name = "N", default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=90))]
    pub days: u32,
    /// Also replay the config's shadow_policies and report how often they agree.
    #[arg(long)]
    pub shadow: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ImpactFormat::Table)]
    pub format: ImpactFormat,
    /// Write the report to FILE instead of stdout (stdout gets the summary line).
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub output: Option<PathBuf>,
}

/// Which classes of `policy impact` fail the run (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Loosened,
    Tightened,
    /// Any change: loosened, tightened, check_changed, undecided or drift.
    Any,
    None,
}

/// What `policy impact` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImpactFormat {
    Table,
    Json,
    Markdown,
    Github,
    /// With --windows: the base and candidate calendars side by side, changed hours marked.
    Html,
}

#[derive(Debug, Args)]
pub struct PolicyTestArgs {
    /// The policy directory (default: `policies` from the config, else ./policies).
    pub dir: Option<PathBuf>,
    /// The config whose `policies` names the directory (default: gatekeeper.toml when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Run only the tests whose full name (data.PACKAGE.test_name) matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub run: Option<String>,
    /// List every test, passed ones too (without it only failures are listed).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// text: failures and a summary; json: every test, the summary and coverage as one document.
    #[arg(long, value_enum, default_value_t = PolicyTestFormat::Text)]
    pub format: PolicyTestFormat,
    /// Report which policy lines the tests cover.
    #[arg(long)]
    pub coverage: bool,
    /// With --coverage: fail (exit 1) below this percentage.
    #[arg(long, value_name = "PERCENT", requires = "coverage", value_parser = parse_percent)]
    pub threshold: Option<f64>,
}

/// What `policy test` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyTestFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct PolicyCheckArgs {
    /// Facts documents to evaluate (default: fixtures/facts/*.json; files, `-` is refused).
    #[arg(value_parser = parse_file)]
    pub facts: Vec<PathBuf>,
    /// The policy directory (default: `policies` from the config, else ./policies).
    #[arg(long, value_name = "DIR")]
    pub policies: Option<PathBuf>,
    /// Exit 1 on warnings too (e.g. a `not f(x)` that OPA decides differently).
    #[arg(long)]
    pub strict: bool,
    /// The config whose `policies` names the directory (default: gatekeeper.toml when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct WindowArgs {
    /// The target, as named under [targets.NAME] in the config.
    pub target: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Use a recorded facts document instead of collecting (a file; `-` is refused).
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub facts: Option<PathBuf>,
    /// With --facts: ignore the config, to evaluate a document about another target
    /// or zone (the policies come from --policies, else ./policies).
    #[arg(long, requires = "facts")]
    pub no_config: bool,
    /// How many days ahead to search.
    #[arg(long, value_name = "D", default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=90))]
    pub days: u32,
    /// How many windows to print (at least 1).
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = parse_count)]
    pub count: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = WindowFormat::Table)]
    pub format: WindowFormat,
    /// Write the chosen format to FILE; the table still goes to the terminal.
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub output: Option<PathBuf>,
    /// Also write FORMAT (table, json, markdown, html) to FILE (repeatable).
    #[arg(long = "report", value_name = "FORMAT=FILE", value_parser = parse_window_report)]
    pub reports: Vec<(WindowFormat, PathBuf)>,
}

#[derive(Debug, Args)]
pub struct NoticeArgs {
    /// The target, as named under [targets.NAME] in the config.
    pub target: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Announced start of the downtime (RFC 3339).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    pub start: DateTime<FixedOffset>,
    /// Announced length in minutes.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10080))]
    pub minutes: u32,
    /// The nature of the work (e.g. "database migrations for the new gradebook").
    #[arg(long)]
    pub nature: String,
    /// Who is affected (e.g. "all users").
    #[arg(long)]
    pub affected: String,
    /// What users will see (e.g. "maintenance page").
    #[arg(long)]
    pub experience: String,
    /// Evaluate as if now were this time (RFC 3339).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    pub at: Option<DateTime<FixedOffset>>,
    /// Draft it even if the start is less than the notice lead away, or the gate would
    /// deny the window (teaching hours, a freeze); the draft then says so.
    #[arg(long)]
    pub force: bool,
    /// Open the notice issue in the notices repo (labelled downtime-notice).
    #[arg(long)]
    pub create: bool,
    /// Also write the deploy calendar (as `window --format html`) to FILE, with the
    /// announced window highlighted, to attach to the e-mail.
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub html: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The target, as named under [targets.NAME] in the config.
    pub target: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Why the lock may go: recorded in the audit log with who removed it.
    #[arg(long, value_name = "TEXT", required = true)]
    pub reason: String,
    /// Remove a lock younger than the stale age (6 h) held from another machine, or
    /// one whose holder cannot be read. Never removes the lock of a run alive on this
    /// machine.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The target, as named under [targets.NAME] in the config.
    pub target: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// table or json.
    #[arg(long, value_enum, default_value = "table")]
    pub format: StatusFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ChatopsArgs {
    /// The issue_comment event's payload ($GITHUB_EVENT_PATH).
    #[arg(long, value_name = "FILE", value_parser = parse_file)]
    pub event: PathBuf,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The target, as named under [targets.NAME] in the config.
    pub target: String,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// How many records to show.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub limit: usize,
}

/// How a decision is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A verdict line and a table of checks, wrapped to the terminal.
    Table,
    /// The decision document (`"schema": 1`).
    Json,
    /// JUnit XML: a test case per check, for Jenkins and other CI.
    Junit,
    /// A heading and a table, for a pull request comment or a job summary.
    Markdown,
    /// GitHub Actions workflow commands: an error annotation per failing check.
    Github,
}

/// How `window` prints the windows it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WindowFormat {
    /// The windows, one a line.
    Table,
    /// The search and its results as JSON.
    Json,
    /// The text, then a Mermaid gantt chart of the calendar (job summaries, PR comments).
    Markdown,
    /// The calendar as one self-contained HTML page: days by hours, each cell allowed
    /// or closed by the check that closes it.
    Html,
}

/// One `window --report FORMAT=FILE`.
fn parse_window_report(s: &str) -> Result<(WindowFormat, PathBuf), String> {
    let formats = "table, json, markdown or html";
    let (name, path) = s
        .split_once('=')
        .filter(|(_, path)| !path.is_empty())
        .ok_or_else(|| {
            format!("give FORMAT=FILE, e.g. html=calendar.html (FORMAT is {formats})")
        })?;
    let format = WindowFormat::from_str(name, true)
        .map_err(|_| format!("unknown report format {name:?}: give {formats}"))?;
    Ok((format, parse_file(path)?))
}

/// One `--report FORMAT=FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportArg {
    pub format: Format,
    pub path: PathBuf,
}

fn parse_report(s: &str) -> Result<ReportArg, String> {
    let formats = "json, junit, markdown, github or table";
    let (name, path) = s
        .split_once('=')
        .filter(|(_, path)| !path.is_empty())
        .ok_or_else(|| {
            format!("give FORMAT=FILE, e.g. junit=reports/gatekeeper.xml (FORMAT is {formats})")
        })?;
    let format = Format::from_str(name, true)
        .map_err(|_| format!("unknown report format {name:?}: give {formats}"))?;
    Ok(ReportArg {
        format,
        path: parse_file(path)?,
    })
}

/// A file to read or write. `-` is refused rather than taken as a file named `-`
/// (or as stdin/stdout, which these flags do not offer): `./-` names such a file.
fn parse_file(s: &str) -> Result<PathBuf, String> {
    if s == "-" {
        return Err(
            "`-` is not standard input or output here: give a file name (`./-` for a file named -); \
             without --output the chosen format goes to stdout, and a facts file must be a file"
                .to_owned(),
        );
    }
    Ok(PathBuf::from(s))
}

/// How many of something to print: at least one (none would print empty tables).
fn parse_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{s:?} is not a count: give a whole number from 1")),
    }
}

/// A percentage from 0 to 100: `nan` or `inf` would make every threshold pass.
fn parse_percent(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if p.is_finite() && (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("{s:?} is not a percentage from 0 to 100")),
    }
}

fn parse_time(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s)
        .map_err(|e| format!("{e}: give an RFC 3339 time such as 2026-11-28T02:00:00-05:00"))
}
