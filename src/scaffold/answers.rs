//! `gatekeeper init`'s answers: the questions (each with its flag), and every
//! answer checked, each bad one named with its flag, all at once.

use crate::cli::InitArgs;
use crate::config::{split_repo, zone};

use super::{Answers, Repo};

/// The answers cannot be used: every problem, each naming its flag.
#[derive(Debug, thiserror::Error)]
#[error("init cannot use these answers:\n  - {}", .0.join("\n  - "))]
pub struct AnswersError(pub Vec<String>);

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
pub struct Ask<'a> {
    pub flag: &'static str,
    pub prompt: &'static str,
    pub given: &'a mut Vec<String>,
}

/// The questions `init` asks, each bound to its flag's values in `args`.
pub fn questions(args: &mut InitArgs) -> [Ask<'_>; 10] {
    [
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
    ]
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

fn one(given: &[String], flag: &str) -> Result<String, String> {
    match list(given).as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!("{flag} takes one value, got {given:?}")),
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
pub fn answers(args: &InitArgs) -> Result<Answers, AnswersError> {
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
            problems.push(e);
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
        return Err(AnswersError(problems));
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
