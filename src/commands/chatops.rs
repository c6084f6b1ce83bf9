//! `gatekeeper chatops --event FILE`: answers a command asked in a comment, for a CI
//! job started by GitHub's `issue_comment` event. It reads the event, refuses what
//! it must (an edit, no command, a bot, the wrong place, a role below
//! `chatops_role`, a permission it cannot read), acknowledges (👀 and one reply per
//! target), then acts: the gate in process (`/check`, `/deploy`), the other
//! commands as the same CLI a person runs (`window`, `status`, `deploy --yes`,
//! `rollback --yes`, `unlock`), their output quoted in the reply. A `/deploy` or
//! `/rollback` runs only on its asker's confirmation of the SHA judged. The answer
//! is [`crate::chatops::answer`]'s; this reads the event and refuses what needs no
//! request.

use std::io::IsTerminal;

use crate::chatops::answer::{ChatopsError, RequestError, answer};
use crate::chatops::command::Instruction;
use crate::chatops::event::CommentEvent;
use crate::cli::ChatopsArgs;
use crate::config::Config;
use crate::gate::Gate;

use super::{CommandError, EXIT_OK, Outcome, print};

pub(crate) use crate::chatops::answer::read_request;

pub fn run(args: ChatopsArgs) -> Result<Outcome, CommandError> {
    let text = std::fs::read_to_string(&args.event).map_err(|e| {
        CommandError::Usage(format!(
            "cannot read the event {}: {e}; give the file GitHub Actions names in $GITHUB_EVENT_PATH",
            args.event.display()
        ))
    })?;
    let event = CommentEvent::parse(&text)
        .map_err(|e| CommandError::Usage(format!("event {}: {e}", args.event.display())))?;
    // Refusals that need no request: nothing is written back.
    if event.action != "created" {
        say(&format!(
            "the comment was {}, not created: only a new comment runs a command (an edit never runs one again)",
            event.action
        ));
        return Ok(EXIT_OK);
    }
    let Some(command) = Instruction::parse(&event.comment.body) else {
        say("the comment's first line is no command: nothing to do");
        return Ok(EXIT_OK);
    };
    if event.comment.bot {
        say(&format!(
            "{} is a bot: a bot's comment runs no command",
            event.comment.login
        ));
        return Ok(EXIT_OK);
    }
    let config = Config::load(&args.config.config)?;
    let collect = |gate: &Gate| {
        if gate.is_live() && std::io::stderr().is_terminal() {
            let spinners = super::progress::Spinners::new();
            let facts = gate.facts(&spinners);
            // The finished spinner lines stay; what follows starts on a line of its own.
            eprintln!();
            facts
        } else {
            gate.facts(&crate::sources::Silent)
        }
    };
    let ok = answer(&config, &args, &event, &command, &print, &collect)?;
    Ok(Outcome::of(ok))
}

/// A line on stdout, for the CI log.
fn say(line: &str) {
    print(&format!("gatekeeper chatops: {line}\n"));
}

impl From<ChatopsError> for CommandError {
    fn from(e: ChatopsError) -> Self {
        match e {
            ChatopsError::Runtime(e) => Self::Runtime(e),
            ChatopsError::Write { path, source } => Self::Write { path, source },
            ChatopsError::Config(e) => Self::Config(e),
            ChatopsError::Gate(e) => Self::Gate(e),
            ChatopsError::Render(e) => Self::Render(e),
            e @ (ChatopsError::Connect(_) | ChatopsError::GitHub(_) | ChatopsError::Encode(_)) => {
                Self::Usage(e.to_string())
            }
        }
    }
}

impl From<RequestError> for CommandError {
    fn from(e: RequestError) -> Self {
        Self::Usage(e.to_string())
    }
}
