//! What a command does after a decision so that it can be replayed: the facts judged
//! go to the archive, and the shadow policies' verdict goes into the record (one
//! stderr line). Both only warn when they fail: never a different exit code, never
//! a change to what stdout says.

use std::time::SystemTime;

use crate::archive::Archive;
use crate::audit::Gate;
use crate::config::Config;
use crate::facts::Facts;

/// Archives `facts` and records the shadow verdict in `gate`: the one hook after a decision.
pub(crate) fn after_decision(config: &Config, facts: &Facts, gate: &mut Gate) {
    if let Err(e) = Archive::of_config(config).store(facts, SystemTime::now()) {
        eprintln!("gatekeeper: warning: {e}");
    }
    if let Some(dir) = &config.shadow_policies {
        let dir = config.resolve(dir);
        match crate::shadow::evaluate(&dir, facts) {
            Ok(verdict) => {
                eprintln!("gatekeeper: {}", crate::shadow::line(&verdict));
                gate.shadow = Some(verdict);
            }
            Err(e) => eprintln!(
                "gatekeeper: warning: the shadow policies {} could not decide: {e}",
                dir.display()
            ),
        }
    }
}
