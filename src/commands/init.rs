//! `gatekeeper init [DIR]`: sets up a repository for a new team. The answers come
//! from flags or, at a terminal, from prompts; without a terminal every missing
//! answer is named with its flag (exit 2). Nothing that exists is overwritten.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use crate::cli::InitArgs;
use crate::scaffold::answers::{answers, questions};
use crate::scaffold::write::{WriteError, summary, write};

use super::{CommandError, EXIT_OK, print};

pub fn run(args: Box<InitArgs>) -> Result<super::Outcome, CommandError> {
    let mut args = *args;
    let interactive = std::io::stdin().is_terminal() && !args.no_input;
    {
        let mut asks = questions(&mut args);
        let missing: Vec<&str> = asks
            .iter()
            .filter(|a| a.given.is_empty())
            .map(|a| a.flag)
            .collect();
        if !missing.is_empty() && !interactive {
            return Err(CommandError::Usage(format!(
                "init has no answer for {}: without a terminal every answer comes from a flag (see `gatekeeper init --help`)",
                missing.join(", ")
            )));
        }
        for ask in asks.iter_mut().filter(|a| a.given.is_empty()) {
            let answer = prompt(ask.prompt)?;
            if answer.is_empty() {
                return Err(CommandError::Usage(format!(
                    "no answer for {}: give it, or pass {}",
                    ask.prompt, ask.flag
                )));
            }
            ask.given.push(answer);
        }
    }
    let answers = answers(&args).map_err(|e| CommandError::Usage(e.to_string()))?;
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    write(&dir, &answers)?;
    print(&summary(&dir, &answers));
    Ok(EXIT_OK)
}

fn prompt(question: &str) -> Result<String, CommandError> {
    let mut err = std::io::stderr();
    let _ = write!(err, "{question}: ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        CommandError::Unread(format!("cannot read the answer to {question:?}: {e}"))
    })?;
    Ok(line.trim().to_owned())
}

impl From<WriteError> for CommandError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Write { path, source } => Self::Write { path, source },
            e @ WriteError::Exists(_) => Self::Usage(e.to_string()),
        }
    }
}
