//! `gatekeeper init [DIR]`: sets up a repository for a new team. The answers come
//! from flags or, at a terminal, from prompts; without a terminal every missing
//! answer is named with its flag (exit 2). Nothing that exists is overwritten.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::cli::InitArgs;
use crate::config::{split_repo, zone};
use crate::scaffold::{self, Answers, Repo};

use super::{CommandError, EXIT_OK, print};

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// One question: its flag, the prompt, and the value given so far.
struct Ask<'a> {
    flag: &'static str,
    prompt: &'static str,
    given: &'a mut Vec<String>,
}

pub fn run(args: Box<InitArgs>) -> Result<super::Outcome, CommandError> {
    let mut args = *args;
    let interactive = std::io::stdin().is_terminal() && !args.no_input;
    {
        let mut asks = [
            Ask {
                flag: "--repo OWNER/NAME",
                prompt: "GitHub release repos, the app first (owner/name, comma-separated)",
                given: &mut args.repos,
            },
            Ask {
                flag: "--deploy-repo OWNER/NAME",
                prompt: "GitHub repo whose base branch is production",
                given: &mut args.deploy_repo,
            },
            Ask {
                flag: "--notices-repo OWNER/NAME",
                prompt: "GitHub repo whose issues are the downtime notices",
                given: &mut args.notices_repo,
            },
            Ask {
                flag: "--approver LOGIN",
                prompt: "GitHub logins whose approval releases a pull request (comma-separated)",
                given: &mut args.approvers,
            },
            Ask {
                flag: "--vetter LOGIN",
                prompt: "GitHub logins who vet a downtime notice (comma-separated)",
                given: &mut args.vetters,
            },
            Ask {
                flag: "--timezone ZONE",
                prompt: "IANA time zone of the teaching hours (e.g. America/New_York)",
                given: &mut args.timezone,
            },
            Ask {
                flag: "--jenkins-url URL",
                prompt: "Jenkins URL",
                given: &mut args.jenkins_url,
            },
            Ask {
                flag: "--newrelic-account ID",
                prompt: "New Relic account id",
                given: &mut args.newrelic_account,
            },
            Ask {
                flag: "--smoke-url URL",
                prompt: "URLs that must answer 200 after a deploy (comma-separated)",
                given: &mut args.smoke_urls,
            },
            Ask {
                flag: "--notice-to ADDRESS",
                prompt: "Address the downtime e-mail goes to",
                given: &mut args.notice_to,
            },
        ];
        let missing: Vec<&str> = asks
            .iter()
            .filter(|a| a.given.is_empty())
            .map(|a| a.flag)
            .collect();
        if !missing.is_empty() && !interactive {
            return Err(CommandError::Usage(format!(
                "init has no answer for {}: without a terminal every answer comes from a flag (see `gatekeeper init --help`)",
                missing.join(", ")
            )));
        }
        for ask in asks.iter_mut().filter(|a| a.given.is_empty()) {
            let answer = prompt(ask.prompt)?;
            if answer.is_empty() {
                return Err(CommandError::Usage(format!(
                    "no answer for {}: give it, or pass {}",
                    ask.prompt, ask.flag
                )));
            }
            ask.given.push(answer);
        }
    }
    let answers = answers(&args)?;
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let files = scaffold::files(&answers);
    let existing: Vec<String> = files
        .iter()
        .map(|(rel, _)| dir.join(rel))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(CommandError::Usage(format!(
            "init never overwrites, and {} already exist(s); run it in a new or empty directory, or move them away",
            existing.join(", ")
        )));
    }
    for (rel, text) in &files {
        write_new(&dir.join(rel), text)?;
    }
    print(&summary(&dir, &answers));
    Ok(EXIT_OK)
}

fn prompt(question: &str) -> Result<String, CommandError> {
    let mut err = std::io::stderr();
    let _ = write!(err, "{question}: ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CommandError::Usage(format!("cannot read the answer to {question:?}: {e}")))?;
    Ok(line.trim().to_owned())
}

/// Comma-separated or repeated values, each trimmed, none empty.
fn list(given: &[String]) -> Vec<String> {
    given
        .iter()
        .flat_map(|g| g.split(','))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn one(given: &[String], flag: &str) -> Result<String, CommandError> {
    match list(given).as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(CommandError::Usage(format!(
            "{flag} takes one value, got {given:?}"
        ))),
    }
}

fn is_login(s: &str) -> bool {
    !s.is_empty() && s.len() <= 39 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn is_hhmm(s: &str) -> bool {
    let Some((h, m)) = s.split_once(':') else {
        return false;
    };
    h.len() == 2
        && m.len() == 2
        && h.parse::<u32>().is_ok_and(|h| h < 24)
        && m.parse::<u32>().is_ok_and(|m| m < 60)
}

/// Checks every answer, naming each bad one with its flag, all at once.
fn answers(args: &InitArgs) -> Result<Answers, CommandError> {
    let mut problems = Vec::new();
    let repos = list(&args.repos);
    for r in &repos {
        if split_repo(r).is_none() {
            problems.push(format!("--repo {r:?} is not owner/name"));
        }
    }
    let jobs = list(&args.jenkins_jobs);
    if !jobs.is_empty() && jobs.len() != repos.len() {
        problems.push(format!(
            "--jenkins-job is given {} time(s) for {} repo(s): give one per --repo, in the same order, or none (each job is then named after its repo)",
            jobs.len(),
            repos.len()
        ));
    }
    let mut single = |given: &[String], flag: &str| match one(given, flag) {
        Ok(v) => v,
        Err(e) => {
            problems.push(e.to_string());
            String::new()
        }
    };
    let deploy_repo = single(&args.deploy_repo, "--deploy-repo");
    let notices_repo = single(&args.notices_repo, "--notices-repo");
    let timezone = single(&args.timezone, "--timezone");
    let jenkins_url = single(&args.jenkins_url, "--jenkins-url");
    let account = single(&args.newrelic_account, "--newrelic-account");
    let notice_to = single(&args.notice_to, "--notice-to");
    for (flag, value) in [
        ("--deploy-repo", &deploy_repo),
        ("--notices-repo", &notices_repo),
    ] {
        if !value.is_empty() && split_repo(value).is_none() {
            problems.push(format!("{flag} {value:?} is not owner/name"));
        }
    }
    let tz = match zone(&timezone) {
        Ok(tz) => Some(tz),
        Err(e) => {
            problems.push(format!("--timezone: {e}"));
            None
        }
    };
    let newrelic_account = account.parse::<u64>().unwrap_or_else(|_| {
        problems.push(format!(
            "--newrelic-account {account:?} is not a number (the account id New Relic shows)"
        ));
        0
    });
    let approvers = list(&args.approvers);
    let vetters = list(&args.vetters);
    for (flag, logins) in [("--approver", &approvers), ("--vetter", &vetters)] {
        for l in logins.iter().filter(|l| !is_login(l)) {
            problems.push(format!(
                "{flag} {l:?} is not a GitHub login (letters, digits and hyphens)"
            ));
        }
    }
    let teaching_days = list(&args.teaching_days);
    for d in teaching_days
        .iter()
        .filter(|d| !WEEKDAYS.contains(&d.as_str()))
    {
        problems.push(format!(
            "--teaching-days {d:?} is not a weekday: write Monday … Sunday"
        ));
    }
    for (flag, t) in [
        ("--teaching-start", &args.teaching_start),
        ("--teaching-end", &args.teaching_end),
    ] {
        if !is_hhmm(t) {
            problems.push(format!("{flag} {t:?} is not a time HH:MM"));
        }
    }
    if is_hhmm(&args.teaching_start)
        && is_hhmm(&args.teaching_end)
        && args.teaching_start >= args.teaching_end
    {
        problems.push("--teaching-start must be before --teaching-end".to_owned());
    }
    let smoke_urls = list(&args.smoke_urls);
    for u in &smoke_urls {
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            problems.push(format!("--smoke-url {u:?} is not an http(s):// URL"));
        }
    }
    if !(jenkins_url.starts_with("https://") || jenkins_url.starts_with("http://")) {
        problems.push(format!(
            "--jenkins-url {jenkins_url:?} is not an http(s):// URL"
        ));
    }
    let (Some(timezone), true) = (tz, problems.is_empty()) else {
        return Err(CommandError::Usage(format!(
            "init cannot use these answers:\n  - {}",
            problems.join("\n  - ")
        )));
    };
    let repos: Vec<Repo> = repos
        .iter()
        .enumerate()
        .map(|(i, github)| Repo {
            github: github.clone(),
            jenkins_job: jobs.get(i).cloned().unwrap_or_else(|| {
                split_repo(github)
                    .map(|(_, name)| name.to_owned())
                    .unwrap_or_default()
            }),
        })
        .collect();
    let app = args.app.clone().unwrap_or_else(|| {
        repos
            .first()
            .and_then(|r| split_repo(&r.github))
            .map(|(_, name)| name.to_owned())
            .unwrap_or_default()
    });
    Ok(Answers {
        target: args.target.clone(),
        repos,
        app,
        deploy_repo,
        deploy_remote: args.deploy_remote.clone(),
        notices_repo,
        release_branch: args.release_branch.clone(),
        base_branch: args.base_branch.clone(),
        smoke_urls,
        notice_to,
        timezone,
        jenkins_url,
        newrelic_account,
        approvers,
        vetters,
        teaching_days,
        teaching_start: args.teaching_start.clone(),
        teaching_end: args.teaching_end.clone(),
    })
}

fn write_new(path: &Path, text: &str) -> Result<(), CommandError> {
    let fail = |source| CommandError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)
}

fn summary(dir: &Path, a: &Answers) -> String {
    let at = |rel: &str| dir.join(rel).display().to_string();
    format!(
        "Wrote {config}, {policies}/ (the shipped rules; your people and hours in settings.rego) and the demo facts {facts}/green.json and too-busy.json.\n\
         Next, in {dir}:\n  gatekeeper policy test\n  gatekeeper check {t} --facts fixtures/facts/green.json       # allow\n  \
         gatekeeper check {t} --facts fixtures/facts/too-busy.json    # deny\n  \
         gatekeeper deploy {t} --dry-run --facts fixtures/facts/green.json\n\
         Then set the tokens (JENKINS_TOKEN, NEW_RELIC_API_KEY, GITHUB_TOKEN) and run `gatekeeper check {t}`.\n\
         After editing policies/settings.rego, edit policies/settings_test.rego to match.\n",
        config = at("gatekeeper.toml"),
        policies = at("policies"),
        facts = at("fixtures/facts"),
        dir = dir.display(),
        t = a.target,
    )
}
