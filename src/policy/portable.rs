//! One verdict under any Rego engine: finds guards that negate a call (a builtin, a
//! function, or an operator such as `==` or `in`) whose arguments may be undefined.
//! OPA evaluates `not is_array(x.missing)` as undefined (the undefined argument makes
//! the call undefined before `not` applies) where regorus says true, so a fail-closed
//! guard written that way fails open under OPA. The fix is a helper rule:
//! `not prs_readable(repo)` with `prs_readable(repo) if is_array(repo.pull_requests)`.
//! This is a textual scan of one file, line by line; it never evaluates anything.

use std::path::Path;

/// Why the pattern is reported, as `policy check` prints it.
pub const WHY: &str =
    "OPA evaluates `not f(x)` with `x` undefined as undefined; write a helper rule";

/// One `not` over a call with a possibly undefined argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineDependentNot {
    /// 1-based line number.
    pub line: usize,
    /// The negated expression, as written (strings shown as `"…"`).
    pub expr: String,
}

impl EngineDependentNot {
    /// The warning line: file, line, expression and why.
    pub fn warning(&self, file: &Path) -> String {
        format!(
            "{}:{}: `not {}`: {WHY} (e.g. `not prs_readable(repo)` with `prs_readable(repo) if is_array(repo.pull_requests)`)",
            file.display(),
            self.line,
            self.expr
        )
    }
}

/// Every engine-dependent `not` of a policy file's text.
pub fn engine_dependent_nots(text: &str) -> Vec<EngineDependentNot> {
    let mut found = Vec::new();
    let mut in_raw = false;
    for (i, line) in text.lines().enumerate() {
        let code = strip(line, &mut in_raw);
        let chars: Vec<char> = code.chars().collect();
        let mut pos = 0;
        while let Some(start) = find_not(&chars, pos) {
            let rest = expression_after(&chars, start + 3);
            pos = start + 3;
            let expr = rest.trim();
            if negates_call(expr) && may_be_undefined(expr) {
                found.push(EngineDependentNot {
                    line: i + 1,
                    expr: expr.to_owned(),
                });
            }
        }
    }
    found
}

/// The line without its comment, string contents replaced by `…` (a raw string may
/// span lines: `in_raw` carries that over).
fn strip(line: &str, in_raw: &mut bool) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if *in_raw {
            if c == '`' {
                *in_raw = false;
                out.push_str("\"…\"");
            }
            continue;
        }
        if in_str {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    in_str = false;
                    out.push_str("\"…\"");
                }
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '`' => *in_raw = true,
            '#' => break,
            _ => out.push(c),
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The index of the next keyword `not` (followed by a space) at or after `from`.
fn find_not(chars: &[char], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 3 < chars.len() {
        let word = chars.get(i..i + 3).is_some_and(|w| w == ['n', 'o', 't']);
        let before_ok = i == 0 || chars.get(i - 1).is_some_and(|c| !is_ident(*c));
        let after_ok = chars.get(i + 3).is_some_and(|c| c.is_whitespace());
        if word && before_ok && after_ok {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The negated expression: up to `;`, `|` or a closing bracket of an enclosing
/// comprehension, or the end of the line.
fn expression_after(chars: &[char], from: usize) -> String {
    let mut depth = 0i32;
    let mut out = String::new();
    for &c in chars.iter().skip(from) {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth < 0 {
                    break;
                }
            }
            ';' | '|' if depth == 0 => break,
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Whether `expr` is a call (`f(…)`, `a.b(…)`) or a comparison or membership at the
/// top level (`==`, `!=`, `<`, `>`, `<=`, `>=`, `in`), rather than a plain reference.
fn negates_call(expr: &str) -> bool {
    let head: String = expr
        .chars()
        .take_while(|c| is_ident(*c) || *c == '.')
        .collect();
    let starts_with_ident = expr
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if starts_with_ident && expr.get(head.len()..).is_some_and(|r| r.starts_with('(')) {
        return true;
    }
    let mut depth = 0i32;
    let chars: Vec<char> = expr.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '=' | '!' | '<' | '>' if depth == 0 => {
                let next = chars.get(i + 1).copied();
                if c == '=' && next != Some('=') && chars.get(i.wrapping_sub(1)) != Some(&'=') {
                    continue;
                }
                return true;
            }
            'i' if depth == 0 => {
                let word = chars.get(i + 1) == Some(&'n');
                let before = i > 0 && chars.get(i - 1).is_some_and(|c| c.is_whitespace());
                let after = chars.get(i + 2).is_some_and(|c| c.is_whitespace());
                if word && before && after {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Whether an operand of the call may be undefined: a reference with a path
/// (`x.field`, `x[i]`) or a nested call. The called function's own name (`a.b(`)
/// does not count.
fn may_be_undefined(expr: &str) -> bool {
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    let mut first_call = true;
    while i < chars.len() {
        let c = chars.get(i).copied().unwrap_or(' ');
        let starts = (c.is_ascii_alphabetic() || c == '_')
            && (i == 0 || chars.get(i - 1).is_some_and(|p| !is_ident(*p) && *p != '.'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        let mut path = false;
        while j < chars.len() {
            match chars.get(j) {
                Some(c) if is_ident(*c) => j += 1,
                Some('.')
                    if chars
                        .get(j + 1)
                        .is_some_and(|c| c.is_ascii_alphabetic() || *c == '_') =>
                {
                    path = true;
                    j += 1;
                }
                _ => break,
            }
        }
        match chars.get(j) {
            Some('(') => {
                if !first_call || i != 0 {
                    return true;
                }
                first_call = false;
            }
            Some('[') => return true,
            _ if path => return true,
            _ => {}
        }
        i = j.max(i + 1);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exprs(text: &str) -> Vec<String> {
        engine_dependent_nots(text)
            .into_iter()
            .map(|f| f.expr)
            .collect()
    }

    #[test]
    fn a_negated_builtin_over_a_field_is_found() {
        assert_eq!(
            exprs("x if not is_array(input.nothing)\n"),
            ["is_array(input.nothing)"]
        );
        assert_eq!(
            exprs("\tnot startswith(r.name, \"x\")\n"),
            ["startswith(r.name, \"…\")"]
        );
        assert_eq!(
            exprs("\tnot count(input.nothing) > 0\n"),
            ["count(input.nothing) > 0"]
        );
        assert_eq!(exprs("\tnot c.proceed == true\n"), ["c.proceed == true"]);
        assert_eq!(
            exprs("\tnot seg.weekday in settings.days\n"),
            ["seg.weekday in settings.days"]
        );
        assert_eq!(
            exprs("\tnot contains(detail(inp, \"t\"), \"x\")\n").len(),
            1
        );
        assert_eq!(exprs("\tnot is_number(xs[0])\n").len(), 1);
    }

    #[test]
    fn a_negated_helper_rule_or_plain_reference_is_fine() {
        for ok in [
            "\tnot input.throughput\n",
            "\tnot n[field]\n",
            "\tnot prs_readable(repo)\n",
            "\tnot in_freeze(seg, f)\n",
            "\tnot downtime\n",
            "\tnot x == y\n",
            "# not is_array(input.nothing)\n",
            "\tmsg := \"not is_array(input.x)\"\n",
            "\tlines := [l | some l in c.not_commands]\n",
            "x := `\nnot is_array(input.x)\n`\n",
        ] {
            assert!(exprs(ok).is_empty(), "{ok:?}: {:?}", exprs(ok));
        }
    }

    #[test]
    fn a_negation_inside_a_comprehension_stops_at_its_bracket() {
        assert_eq!(
            exprs("xs := [c | some c in cs; not is_string(c.user)]\n"),
            ["is_string(c.user)"]
        );
        assert_eq!(
            engine_dependent_nots("a\nb if not is_array(x.y)\n")[0].line,
            2
        );
    }
}
