//! What a deploy runs on, taken from the gate's decision: the run's context gets
//! the decision's kind and the facts' release heads and production SHA, and after a
//! person's yes the second decision must be the same allow on the same heads.

use crate::decision::Decision;
use crate::facts::Facts;
use crate::runbook::Context;

/// What a confirmed deploy was decided on, to hold the second decision against.
pub struct Judged {
    /// Each repo's release head.
    heads: Vec<(String, Option<String>)>,
    production: Option<String>,
    downtime: bool,
}

impl Judged {
    /// Sets on `ctx` what the allowed decision runs: its downtime, whether
    /// migrations run (unknown counts as pending: deploy:migrate with none is
    /// harmless), each repo's release head and the production SHA. Answers the
    /// release heads shipped ("owner/name@sha") and what to hold a second
    /// decision to.
    pub fn apply(ctx: &mut Context, facts: &Facts, decision: &Decision) -> (Vec<String>, Self) {
        ctx.downtime = decision.downtime;
        ctx.migrations = facts
            .repos
            .iter()
            .any(|r| r.migrations.as_ref().is_none_or(|m| !m.is_empty()));
        for repo in &mut ctx.repos {
            repo.release_sha = facts
                .repos
                .iter()
                .find(|r| r.name == repo.name)
                .and_then(|r| r.release_sha.clone());
        }
        ctx.production = facts.production.as_ref().map(|p| p.sha.clone());
        let release_shas = ctx
            .repos
            .iter()
            .map(|r| format!("{}@{}", r.name, r.release_sha.as_deref().unwrap_or("?")))
            .collect();
        let judged = Self {
            heads: ctx
                .repos
                .iter()
                .map(|r| (r.name.clone(), r.release_sha.clone()))
                .collect(),
            production: ctx.production.clone(),
            downtime: ctx.downtime,
        };
        (release_shas, judged)
    }

    /// The second decision goes on only as an allow of the same run: or what changed.
    pub fn still(&self, decision: &Decision, facts: &Facts) -> Result<(), Recheck> {
        let mut changed = Vec::new();
        if !decision.allow {
            let failing: Vec<&str> = decision.failing().map(|c| c.id.as_str()).collect();
            changed.push(format!(
                "the gate now denies (failing: {})",
                failing.join(", ")
            ));
        }
        for (name, head) in &self.heads {
            let now = facts
                .repos
                .iter()
                .find(|r| &r.name == name)
                .and_then(|r| r.release_sha.clone());
            if &now != head {
                changed.push(format!(
                    "{name}'s release head moved from {} to {}",
                    head.as_deref().unwrap_or("?"),
                    now.as_deref().unwrap_or("?")
                ));
            }
        }
        let production = facts.production.as_ref().map(|p| p.sha.clone());
        if production != self.production {
            changed.push(format!(
                "the production SHA moved from {} to {}",
                self.production.as_deref().unwrap_or("?"),
                production.as_deref().unwrap_or("?")
            ));
        }
        if decision.downtime != self.downtime {
            changed.push(format!(
                "the deploy now {} downtime",
                if decision.downtime {
                    "needs"
                } else {
                    "needs no"
                }
            ));
        }
        if changed.is_empty() {
            Ok(())
        } else {
            Err(Recheck::Changed(changed))
        }
    }
}

/// Why the decision made again after a person's yes does not let the run go on
/// (said after "while you confirmed, ").
#[derive(Debug, thiserror::Error)]
pub enum Recheck {
    #[error("the facts could not be collected again: {0}")]
    Collect(String),
    #[error("interrupted by {0}")]
    Interrupted(&'static str),
    #[error("the policies could not decide again: {0}")]
    Decide(String),
    /// What changed since the allow the person saw.
    #[error("{}: run `gatekeeper deploy` again", .0.join("; "))]
    Changed(Vec<String>),
}
