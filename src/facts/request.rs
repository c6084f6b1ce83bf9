//! Who asked for this decision, when a person asked through a comment rather than at
//! a terminal: the facts' `request`, so that rules can decide on it (a `deployers`
//! list, "the one who asks is not the only approver"). Absent for a terminal or a
//! CI job: nothing in it can widen what the gate allows.

use serde::{Deserialize, Serialize};

/// The request a comment made (`gatekeeper chatops`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// How it was asked: `"chatops"`.
    pub via: String,
    /// The GitHub login of the person who asked.
    pub actor: String,
    /// Their repository role as GitHub names it (`role_name`: write, maintain, admin…).
    pub role: String,
    /// The comment that asked.
    pub comment_url: String,
    /// The command as written on the comment's first line.
    pub command: String,
}
