//! The command a comment asks for: its first line, exactly one of the forms below,
//! or nothing. Anything else on that line (a word more, a code fence, a quote, an
//! HTML comment, an indent, a leading blank line) means the comment asks for nothing,
//! so that a command can be quoted or discussed without running it.

use std::fmt;

/// One command, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instruction {
    Help,
    Check {
        target: String,
    },
    Window {
        target: String,
    },
    Status {
        target: String,
    },
    Deploy {
        target: String,
        dry_run: bool,
    },
    /// `/deploy TARGET confirm SHORT_SHA`
    ConfirmDeploy {
        target: String,
        sha: String,
    },
    Rollback {
        target: String,
    },
    /// `/rollback TARGET confirm SHORT_SHA`
    ConfirmRollback {
        target: String,
        sha: String,
    },
    Unlock {
        target: String,
        reason: String,
    },
}

/// The forms, for `/help` and for replies.
pub const FORMS: &[&str] = &[
    "/check TARGET",
    "/window TARGET",
    "/status TARGET",
    "/deploy TARGET [--dry-run]",
    "/deploy TARGET confirm SHORT_SHA",
    "/rollback TARGET",
    "/rollback TARGET confirm SHORT_SHA",
    "/unlock TARGET REASON…",
    "/help",
];

impl Instruction {
    /// The command on the first line of `body`, if it is exactly one.
    pub fn parse(body: &str) -> Option<Self> {
        let line = body.split('\n').next()?.trim_end_matches(['\r', ' ', '\t']);
        // Exactly at the start: an indent is a code block, `>` a quote, `<!--` a comment.
        if !line.starts_with('/') {
            return None;
        }
        let words: Vec<&str> = line.split(' ').collect();
        // One space between words, as the forms are written.
        if words.iter().any(|w| w.is_empty()) {
            return None;
        }
        let target = |w: &str| is_target(w).then(|| w.to_owned());
        match words.as_slice() {
            ["/help"] => Some(Self::Help),
            ["/check", t] => Some(Self::Check { target: target(t)? }),
            ["/window", t] => Some(Self::Window { target: target(t)? }),
            ["/status", t] => Some(Self::Status { target: target(t)? }),
            ["/deploy", t] => Some(Self::Deploy {
                target: target(t)?,
                dry_run: false,
            }),
            ["/deploy", t, "--dry-run"] => Some(Self::Deploy {
                target: target(t)?,
                dry_run: true,
            }),
            ["/deploy", t, "confirm", sha] if is_short_sha(sha) => Some(Self::ConfirmDeploy {
                target: target(t)?,
                sha: (*sha).to_owned(),
            }),
            ["/rollback", t] => Some(Self::Rollback { target: target(t)? }),
            ["/rollback", t, "confirm", sha] if is_short_sha(sha) => Some(Self::ConfirmRollback {
                target: target(t)?,
                sha: (*sha).to_owned(),
            }),
            ["/unlock", t, reason @ ..] if !reason.is_empty() => Some(Self::Unlock {
                target: target(t)?,
                reason: reason.join(" "),
            }),
            _ => None,
        }
    }

    /// The target, for every command but `/help`.
    pub fn target(&self) -> Option<&str> {
        match self {
            Self::Help => None,
            Self::Check { target }
            | Self::Window { target }
            | Self::Status { target }
            | Self::Deploy { target, .. }
            | Self::ConfirmDeploy { target, .. }
            | Self::Rollback { target }
            | Self::ConfirmRollback { target, .. }
            | Self::Unlock { target, .. } => Some(target),
        }
    }

    /// The SHA a confirmation names.
    pub fn confirmed_sha(&self) -> Option<&str> {
        match self {
            Self::ConfirmDeploy { sha, .. } | Self::ConfirmRollback { sha, .. } => Some(sha),
            _ => None,
        }
    }
}

impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Help => write!(f, "/help"),
            Self::Check { target } => write!(f, "/check {target}"),
            Self::Window { target } => write!(f, "/window {target}"),
            Self::Status { target } => write!(f, "/status {target}"),
            Self::Deploy { target, dry_run } => {
                write!(
                    f,
                    "/deploy {target}{}",
                    if *dry_run { " --dry-run" } else { "" }
                )
            }
            Self::ConfirmDeploy { target, sha } => write!(f, "/deploy {target} confirm {sha}"),
            Self::Rollback { target } => write!(f, "/rollback {target}"),
            Self::ConfirmRollback { target, sha } => write!(f, "/rollback {target} confirm {sha}"),
            Self::Unlock { target, reason } => write!(f, "/unlock {target} {reason}"),
        }
    }
}

/// A target's name as the config allows it: letters, digits, `-` and `_`.
fn is_target(w: &str) -> bool {
    !w.is_empty()
        && w.len() <= 64
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A short SHA as gatekeeper writes it: seven lower-case hex digits (up to a full 40).
pub fn is_short_sha(w: &str) -> bool {
    (7..=40).contains(&w.len()) && w.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(t: &str) -> String {
        t.to_owned()
    }

    #[test]
    fn every_form_parses_from_the_first_line() {
        let cases = [
            ("/help", Instruction::Help),
            (
                "/check production",
                Instruction::Check {
                    target: target("production"),
                },
            ),
            (
                "/window production\r\nwhen can we go?",
                Instruction::Window {
                    target: target("production"),
                },
            ),
            (
                "/status production  ",
                Instruction::Status {
                    target: target("production"),
                },
            ),
            (
                "/deploy production",
                Instruction::Deploy {
                    target: target("production"),
                    dry_run: false,
                },
            ),
            (
                "/deploy production --dry-run",
                Instruction::Deploy {
                    target: target("production"),
                    dry_run: true,
                },
            ),
            (
                "/deploy production confirm 3f2a9c1",
                Instruction::ConfirmDeploy {
                    target: target("production"),
                    sha: "3f2a9c1".to_owned(),
                },
            ),
            (
                "/rollback production",
                Instruction::Rollback {
                    target: target("production"),
                },
            ),
            (
                "/rollback production confirm aa11bb2",
                Instruction::ConfirmRollback {
                    target: target("production"),
                    sha: "aa11bb2".to_owned(),
                },
            ),
            (
                "/unlock production the agent died mid-deploy",
                Instruction::Unlock {
                    target: target("production"),
                    reason: "the agent died mid-deploy".to_owned(),
                },
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(Instruction::parse(body), Some(expected.clone()), "{body:?}");
            // What a reply quotes is the command as written.
            assert_eq!(Instruction::parse(&expected.to_string()), Some(expected));
        }
    }

    #[test]
    fn anything_else_on_the_first_line_is_no_command() {
        for body in [
            "/deploy production please",
            "/deploy",
            "/check",
            "/unlock production",
            "/deploy production confirm",
            "/deploy production confirm 3F2A9C1",
            "/deploy production confirm 3f2a",
            "/deploy  production",
            "/deploy prod!",
            "/Deploy production",
            " /deploy production",
            "    /deploy production",
            "> /deploy production",
            "```\n/deploy production\n```",
            "~~~\n/deploy production\n~~~",
            "<!--\n/deploy production\n-->",
            "<!-- /deploy production -->",
            "`/deploy production`",
            "\n/deploy production",
            "please /deploy production",
            "/deploy production <!-- x -->",
            "",
        ] {
            assert_eq!(Instruction::parse(body), None, "{body:?}");
        }
    }

    #[test]
    fn only_commands_with_a_target_have_one() {
        assert_eq!(Instruction::Help.target(), None);
        assert_eq!(
            Instruction::parse("/rollback production confirm aa11bb2")
                .and_then(|c| c.confirmed_sha().map(str::to_owned)),
            Some("aa11bb2".to_owned())
        );
    }
}
