//! Why a `test_*` rule failed: the first statement of its body that did not hold,
//! and, for a comparison `GOT == WANT`, both values. The body's statements are
//! replayed one prefix at a time in probe rules added to a copy of the engine.

use std::path::Path;

use regorus::{Engine, Value};

/// One statement of a rule body, with the line it starts on.
struct RuleLine {
    line: usize,
    text: String,
}

/// Explains why `rule` (`data.PACKAGE.test_name`) of `file` did not hold, or `None`
/// when its body cannot be found or replayed.
pub(crate) fn explain(engine: &Engine, file: &Path, rule: &str) -> Option<String> {
    let source = std::fs::read_to_string(file).ok()?;
    let (package, name) = rule.strip_prefix("data.")?.rsplit_once('.')?;
    let imports: Vec<&str> = source
        .lines()
        .filter(|l| l.starts_with("import "))
        .collect();
    let body = rule_body(&source, name)?;
    let header = format!("package {package}\n{}\n", imports.join("\n"));
    let mut probe = engine.clone();
    for (k, stmt) in body.iter().enumerate() {
        let prefix: Vec<&str> = body.iter().take(k + 1).map(|s| s.text.as_str()).collect();
        let held = eval_probe(&mut probe, &header, package, k, "true", &prefix)?;
        if held {
            continue;
        }
        let mut text = format!("line {}: `{}` did not hold", stmt.line, stmt.text.trim());
        if let Some((got, want)) = comparison(&stmt.text) {
            let before: Vec<&str> = body.iter().take(k).map(|s| s.text.as_str()).collect();
            let got_value = value_of(&mut probe, &header, package, k, &got, &before);
            let want_value = value_of(&mut probe, &header, package, k + 1000, &want, &before);
            text.push_str(&format!(
                "\n       expected: {}\n       got:      {}",
                want_value.unwrap_or_else(|| want.clone()),
                got_value.unwrap_or_else(|| "undefined".to_owned())
            ));
        }
        return Some(text);
    }
    None
}

/// Whether the statements hold (`Some(true)`), fail (`Some(false)`), or could not
/// be replayed (`None`).
fn eval_probe(
    engine: &mut Engine,
    header: &str,
    package: &str,
    k: usize,
    value: &str,
    stmts: &[&str],
) -> Option<bool> {
    let name = format!("gatekeeper_probe_{k}");
    let rego = format!(
        "{header}\n{name} := {value} if {{\n{}\n}}\n",
        stmts.join("\n")
    );
    engine
        .add_policy(format!("probe-{package}-{k}.rego"), rego)
        .ok()?;
    match engine.eval_rule(format!("data.{package}.{name}")).ok()? {
        Value::Undefined => Some(false),
        _ => Some(true),
    }
}

/// The value of `expr` after the statements `before`, as JSON.
fn value_of(
    engine: &mut Engine,
    header: &str,
    package: &str,
    k: usize,
    expr: &str,
    before: &[&str],
) -> Option<String> {
    let (expr, with) = match expr.find(" with ") {
        Some(at) => expr.split_at(at),
        None => (expr, ""),
    };
    let name = format!("gatekeeper_probe_value_{k}");
    let rego = format!(
        "{header}\n{name} := [gatekeeper_probe_v] if {{\n{}\n\tgatekeeper_probe_v := {}{}\n}}\n",
        before.join("\n"),
        expr.trim(),
        with
    );
    engine
        .add_policy(format!("probe-value-{package}-{k}.rego"), rego)
        .ok()?;
    match engine.eval_rule(format!("data.{package}.{name}")).ok()? {
        Value::Array(items) => items.first().map(|v| v.to_string()),
        _ => None,
    }
}

/// `GOT == WANT` split at its one top-level `==`; a `with` after WANT goes with GOT.
fn comparison(stmt: &str) -> Option<(String, String)> {
    let (left, right) = stmt.split_once(" == ")?;
    if right.contains(" == ") {
        return None;
    }
    match right.find(" with ") {
        Some(at) => {
            let (want, with) = right.split_at(at);
            Some((format!("{}{with}", left.trim()), want.trim().to_owned()))
        }
        None => Some((left.trim().to_owned(), right.trim().to_owned())),
    }
}

/// The statements of the body of `name` in `source`: lines indented by one tab
/// start a statement; deeper or closing lines continue it.
fn rule_body(source: &str, name: &str) -> Option<Vec<RuleLine>> {
    let mut lines = source.lines().enumerate();
    lines.find(|(_, l)| {
        l.strip_prefix(name)
            .is_some_and(|rest| rest.trim_start().starts_with("if {"))
    })?;
    let mut body: Vec<RuleLine> = Vec::new();
    for (n, line) in lines {
        if line == "}" {
            return Some(body);
        }
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let starts = line.starts_with('\t') && !line.starts_with("\t\t") && !is_closing(line);
        match body.last_mut() {
            Some(last) if !starts => {
                last.text.push('\n');
                last.text.push_str(line);
            }
            _ => body.push(RuleLine {
                line: n + 1,
                text: line.to_owned(),
            }),
        }
    }
    None
}

fn is_closing(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('}') || t.starts_with(']') || t.starts_with(')')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_comparison_and_keeps_with_on_the_got_side() {
        assert_eq!(
            comparison("\tstatus(green, \"x\") == \"pass\" with input as {}"),
            Some((
                "status(green, \"x\") with input as {}".to_owned(),
                "\"pass\"".to_owned()
            ))
        );
        assert_eq!(comparison("\tcontains(a, b)"), None);
    }

    #[test]
    fn groups_multi_line_statements() {
        let src = "package p\n\ntest_x if {\n\ta := [\n\t\t1,\n\t]\n\ta == [2]\n}\n";
        let body = rule_body(src, "test_x").unwrap_or_default();
        let lines: Vec<usize> = body.iter().map(|s| s.line).collect();
        assert_eq!(lines, vec![4, 7]);
    }
}
