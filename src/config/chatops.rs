//! The config's chatops keys: the lowest repository role that may ask, how long a
//! confirmation stays open, and a target's issue where commands are taken besides
//! its release pull request. Parsed and checked here, once; `chatops` trusts them.

use std::fmt;

use serde::Deserialize;

/// The lowest repository role whose members may ask for a command in a comment.
/// Read, triage and custom roles below write can never be made enough.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatopsRole {
    #[default]
    Write,
    Maintain,
    Admin,
}

impl ChatopsRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Write => "write",
            Self::Maintain => "maintain",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for ChatopsRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(super) fn default_confirm_minutes() -> u32 {
    10
}

/// An issue named `owner/name#N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRef {
    pub repo: String,
    pub number: u64,
}

impl fmt::Display for IssueRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.repo, self.number)
    }
}

/// A text that names no issue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not an issue: write it as \"owner/name#N\", e.g. \"thinkthroughmath/apangea#500\""
)]
pub struct NotAnIssue(pub String);

/// `owner/name#N`, or why not.
pub fn issue_ref(text: &str) -> Result<IssueRef, NotAnIssue> {
    let bad = || NotAnIssue(text.to_owned());
    let (repo, number) = text.split_once('#').ok_or_else(bad)?;
    let number: u64 = number.parse().map_err(|_| bad())?;
    if number == 0 || super::split_repo(repo).is_none() {
        return Err(bad());
    }
    Ok(IssueRef {
        repo: repo.to_owned(),
        number,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issue_is_owner_name_and_number() {
        let issue = issue_ref("thinkthroughmath/apangea#500").unwrap();
        assert_eq!(issue.repo, "thinkthroughmath/apangea");
        assert_eq!(issue.number, 500);
        for bad in [
            "apangea#500",
            "thinkthroughmath/apangea",
            "o/r#0",
            "o/r#x",
            "o/r#-1",
        ] {
            assert!(issue_ref(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_order_from_write_to_admin() {
        assert!(ChatopsRole::Write < ChatopsRole::Maintain);
        assert!(ChatopsRole::Maintain < ChatopsRole::Admin);
    }
}
