//! The status as a person reads it.

use crate::runbook::lock::describe_age;

use super::Screen;

fn short(sha: &str) -> String {
    sha.chars().take(10).collect()
}

/// The status as text (not yet escaped: the caller sanitizes it).
pub fn table(status: &Screen) -> String {
    let mut text = format!("Status of {}\n\n", status.target);
    let p = &status.production;
    text.push_str(&match (&p.sha, &p.error) {
        (Some(sha), _) => format!("Production ({} {}): {sha}\n", p.remote, p.branch),
        (None, Some(e)) => format!("Production: unknown: {e}\n"),
        (None, None) => "Production: unknown\n".to_owned(),
    });
    match &p.run {
        Some(o) => {
            text.push_str(&format!(
                "  from the {} {}by {} at {} on {}{} ({})\n",
                o.kind,
                o.run
                    .as_ref()
                    .map_or_else(String::new, |r| format!("run {r} ")),
                o.by,
                o.at.format("%Y-%m-%d %H:%M UTC"),
                o.host.as_deref().unwrap_or("an unknown machine"),
                o.log_url
                    .as_ref()
                    .map_or_else(String::new, |u| format!(", build {u}")),
                if o.source == "github" {
                    "its GitHub deployment"
                } else {
                    "the local audit log"
                }
            ));
            if let Some(u) = &o.unfinished {
                text.push_str(&format!("  that run ended {}", u.outcome.replace('_', " ")));
                match (&u.before_sha, &u.rollback) {
                    (Some(before), Some(command)) => text.push_str(&format!(
                        ": to put production back on {before}: {command}\n"
                    )),
                    _ => text.push('\n'),
                }
            }
        }
        None if p.sha.is_some() => {
            text.push_str("  no deploy or rollback that left it is recorded\n");
        }
        None => {}
    }
    for f in &p.foreign {
        text.push_str(&format!(
            "  foreign deployment {} by {} ({}, {}): not created by gatekeeper under the token's login; never credited\n",
            f.id,
            f.creator.as_deref().unwrap_or("?"),
            f.state.as_deref().unwrap_or("no status"),
            f.at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    let l = &status.lock;
    text.push_str(&match (&l.holder, &l.error) {
        (_, Some(e)) => format!("Lock: unknown: {e}\n"),
        (Some(h), None) => format!(
            "Lock: held by {h}, {} old{}\n",
            describe_age(chrono::Duration::seconds(l.age_seconds.unwrap_or(0))),
            if l.stale {
                " — STALE: older than the longest run; `gatekeeper unlock` frees it once no run holds it"
            } else {
                ""
            }
        ),
        (None, None) => "Lock: free\n".to_owned(),
    });
    text.push_str(&format!("Waiting on {}:\n", status.release.branch));
    for h in &status.release.heads {
        text.push_str(&match (&h.sha, &h.error) {
            (Some(sha), _) => format!("  {} {}\n", h.repo, short(sha)),
            (None, e) => format!("  {} unknown: {}\n", h.repo, e.as_deref().unwrap_or("?")),
        });
    }
    text.push_str(&match &status.release.checked {
        Some(c) if c.allowed => format!(
            "  checked here: allowed at {} by {} (the deploy decides again)\n",
            c.at.format("%Y-%m-%d %H:%M UTC"),
            c.by
        ),
        Some(c) => format!(
            "  checked here: denied at {} by {} (failing: {})\n",
            c.at.format("%Y-%m-%d %H:%M UTC"),
            c.by,
            c.failing_checks.join(", ")
        ),
        None => "  not checked here on exactly these heads\n".to_owned(),
    });
    text.push_str(&status.incidents.lines());
    text
}
