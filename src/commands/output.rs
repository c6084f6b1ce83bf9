//! Everything commands write for people and CI: stdout whose failures end the
//! command with exit 2 (never a panic), the table style, and the files a person
//! asked for.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::render::TableStyle;

use super::CommandError;

/// The table style for stdout: colour only on a terminal without NO_COLOR; the
/// width always set (with or without colour), so that the table wraps.
pub(crate) fn stdout_style() -> TableStyle {
    let terminal = std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    // A terminal's own width (comfy-table asks the terminal); comfy-table answers
    // `None` off a terminal, and a pseudo-terminal may answer 0.
    let detected = if terminal {
        comfy_table::Table::new().width()
    } else {
        None
    };
    let columns = std::env::var("COLUMNS").ok();
    TableStyle {
        color: terminal && !no_color,
        width: Some(table_width(terminal, detected, columns.as_deref())),
    }
}

/// The width to wrap to. On a terminal: its own width when known and not zero, else
/// `COLUMNS` when it is a positive number, else 100. Elsewhere (a pipe, a CI log):
/// `COLUMNS`, else the width files get.
fn table_width(terminal: bool, detected: Option<u16>, columns: Option<&str>) -> u16 {
    let columns = columns
        .and_then(|c| c.trim().parse().ok())
        .filter(|w| *w > 0);
    if terminal {
        detected
            .filter(|w| *w > 0)
            .or(columns)
            .unwrap_or(crate::render::DEFAULT_WIDTH)
    } else {
        columns.unwrap_or(crate::render::FILE_WIDTH)
    }
}

/// Writes a file a person asked for (`--output`, `--report`) through
/// [`crate::files::write_replacing`]: never through a link, never onto the audit log
/// (`audit`, when a config names one), written whole and renamed into place.
pub(crate) fn write_file(
    path: &Path,
    text: &str,
    audit: Option<&Path>,
) -> Result<(), CommandError> {
    let never: Vec<&Path> = audit.into_iter().collect();
    crate::files::write_replacing(path, text, &never).map_err(|e| CommandError::Write {
        path: e.path().to_owned(),
        source: match e {
            crate::files::FileError::Io { source, .. } => source,
            other => std::io::Error::new(std::io::ErrorKind::InvalidInput, other.to_string()),
        },
    })
}

/// The first error writing stdout that was not a closed pipe.
static STDOUT_ERROR: std::sync::Mutex<Option<std::io::Error>> = std::sync::Mutex::new(None);
static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);

fn note_stdout_error(e: std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe || STDOUT_FAILED.swap(true, Ordering::SeqCst) {
        return;
    }
    if let Ok(mut slot) = STDOUT_ERROR.lock() {
        *slot = Some(e);
    }
}

pub(crate) fn take_stdout_error() -> Option<std::io::Error> {
    if !STDOUT_FAILED.load(Ordering::SeqCst) {
        return None;
    }
    let kept = STDOUT_ERROR.lock().ok().and_then(|mut slot| slot.take());
    Some(kept.unwrap_or_else(|| std::io::Error::other("write failed")))
}

/// Stdout as a writer whose failures (other than a closed pipe) end the command
/// with exit 2 once it is done.
pub(crate) struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stdout().lock().write(buf).inspect_err(|e| {
            note_stdout_error(std::io::Error::new(e.kind(), e.to_string()));
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().lock().flush().inspect_err(|e| {
            note_stdout_error(std::io::Error::new(e.kind(), e.to_string()));
        })
    }
}

/// Prints to stdout; a failure is noted for the exit code, never a panic. No line
/// from a source reads as a CI runner's command, and in GitHub Actions the whole
/// text is printed between stop-commands ([`crate::render::ci::guard`]).
pub(crate) fn print(text: &str) {
    print_commands(&crate::render::ci::guard(text, &|v| std::env::var(v).ok()));
}

/// Prints workflow commands as they are (`--format github`, which escapes its own
/// text by the commands' rules).
pub(crate) fn print_commands(text: &str) {
    let mut out = Stdout;
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Prints a decision rendered in `format`: commands as they are, anything else
/// guarded like [`print`].
pub(crate) fn print_as(text: &str, format: crate::cli::Format) {
    if format == crate::cli::Format::Github {
        print_commands(text);
    } else {
        print(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_or_zero_terminal_width_falls_back_to_columns_then_100() {
        assert_eq!(table_width(true, Some(132), Some("80")), 132);
        assert_eq!(table_width(true, Some(0), Some("80")), 80);
        assert_eq!(table_width(true, None, Some("80")), 80);
        assert_eq!(table_width(true, Some(0), Some("0")), 100);
        assert_eq!(table_width(true, None, Some("wide")), 100);
        assert_eq!(table_width(true, None, None), 100);
        // Off a terminal (a pipe, a CI log): COLUMNS, else the file width.
        assert_eq!(table_width(false, None, Some("80")), 80);
        assert_eq!(table_width(false, None, None), 120);
    }
}
