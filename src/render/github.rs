//! `--format github`: GitHub Actions workflow commands. An `::error` annotation per
//! failing check (titled with the check), a `::warning` per overridden one (naming who
//! and why), and a `::notice` when the gate allows. Text is escaped by the workflow
//! command rules, so a detail can never end the command early or start another.
//! Also the `GITHUB_OUTPUT` lines (`allow`, `downtime`, `failed_checks`). No I/O.

use crate::decision::{Decision, Status};

pub fn render(decision: &Decision) -> String {
    let mut out = String::new();
    let verdict = if decision.allow { "ALLOW" } else { "DENY" };
    let kind = if decision.downtime {
        "downtime deploy"
    } else {
        "zero-downtime deploy"
    };
    for check in decision.checks.iter().filter(|c| c.status == Status::Fail) {
        let title = format!(
            "gatekeeper {}: {} ({})",
            decision.target, check.title, check.id
        );
        match &check.overridden {
            None => out.push_str(&command("error", &title, &check.detail)),
            Some(o) => out.push_str(&command(
                "warning",
                &title,
                &format!(
                    "overridden by {}: {} (the check failed: {})",
                    o.by, o.reason, check.detail
                ),
            )),
        }
    }
    let failed = blocking(decision);
    let summary = if failed.is_empty() {
        format!(
            "{verdict} {} ({kind}), evaluated at {}",
            decision.target, decision.evaluated_at
        )
    } else {
        format!(
            "{verdict} {} ({kind}), evaluated at {}: failed {}",
            decision.target,
            decision.evaluated_at,
            failed.join(", ")
        )
    };
    if decision.allow {
        out.push_str(&command(
            "notice",
            &format!("gatekeeper {}", decision.target),
            &summary,
        ));
    } else {
        // Annotations are for the checks; the verdict is a plain log line.
        out.push_str(&escape_data(&summary));
        out.push('\n');
    }
    out
}

/// The annotation of a run that could not decide (exit 2): one `::error` saying why.
pub fn undecided(target: &str, reason: &str) -> String {
    command(
        "error",
        &format!("gatekeeper {target}"),
        &format!("no decision could be made: {reason}"),
    )
}

/// The lines appended to the file `GITHUB_OUTPUT` names, so that later steps read
/// `steps.<id>.outputs.allow` (`true`/`false`), `downtime` (`true`/`false`) and
/// `failed_checks` (the ids of the failing checks not overridden, comma-separated).
pub fn outputs(decision: &Decision) -> String {
    let mut out = String::new();
    out.push_str(&output("allow", &decision.allow.to_string()));
    out.push_str(&output("downtime", &decision.downtime.to_string()));
    out.push_str(&output("failed_checks", &blocking(decision).join(",")));
    out
}

/// The ids of the checks that fail and are not overridden.
fn blocking(decision: &Decision) -> Vec<&str> {
    decision
        .failing()
        .filter(|c| c.overridden.is_none() && !c.advisory)
        .map(|c| c.id.as_str())
        .collect()
}

/// `name=value`, or the multi-line form when the value holds a line break, with a
/// delimiter the value does not contain, so that a value cannot add an output.
fn output(name: &str, value: &str) -> String {
    if !value.contains(['\n', '\r']) {
        return format!("{name}={value}\n");
    }
    let mut delimiter = "gatekeeper_EOF".to_owned();
    while value.contains(&delimiter) {
        delimiter.push('_');
    }
    format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
}

pub(crate) fn command(name: &str, title: &str, message: &str) -> String {
    format!(
        "::{name} title={}::{}\n",
        escape_property(title),
        escape_data(message)
    )
}

/// The message of a workflow command: `%`, CR and LF escaped.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property of a workflow command: as data, and `:` and `,` escaped too.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_properties_are_escaped_by_the_workflow_command_rules() {
        assert_eq!(
            escape_data("50% done\r\n::error::x"),
            "50%25 done%0D%0A::error::x"
        );
        assert_eq!(escape_property("a: b, c%"), "a%3A b%2C c%25");
        // The message keeps `::` literally: only a line break could start a new command.
        assert!(!escape_data("x\n::error::y").contains('\n'));
    }

    #[test]
    fn an_output_value_with_a_line_break_cannot_add_an_output() {
        assert_eq!(output("allow", "false"), "allow=false\n");
        let text = output("failed_checks", "a\nallow=true gatekeeper_EOF");
        assert_eq!(
            text,
            "failed_checks<<gatekeeper_EOF_\na\nallow=true gatekeeper_EOF\ngatekeeper_EOF_\n"
        );
    }
}
