//! README's command table and shared flags say what the binary takes: each command
//! in the table is a command of the binary (and each command of the binary is in the
//! table), and each shared flag row lists exactly the commands whose `--help` shows it.

use std::collections::BTreeSet;

use crate::support::assert_exit;
use crate::support::{gatekeeper, root};

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

/// The rows of the markdown table under `heading` (first cells and second cells).
fn table_after(text: &str, heading: &str) -> Vec<(String, String)> {
    let at = text
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"));
    text[at..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].to_owned(), cells[2].to_owned())
        })
        .collect()
}

fn help(command: &str) -> String {
    let mut cmd = gatekeeper();
    for part in command.split(' ').filter(|a| !a.is_empty()) {
        cmd.arg(part);
    }
    let out = cmd.arg("--help").output().unwrap();
    assert_exit!(out, 0, "{command} --help");
    String::from_utf8(out.stdout).unwrap()
}

/// The binary's commands, `policy`'s two spelled out.
fn commands() -> BTreeSet<String> {
    let top = help("");
    let mut found = BTreeSet::new();
    let listed = &top[top.find("Commands:").unwrap()..top.find("Options:").unwrap()];
    for line in listed.lines().skip(1) {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        match name {
            "help" => {}
            "policy" => {
                let policy = help("policy");
                let sub =
                    &policy[policy.find("Commands:").unwrap()..policy.find("Options:").unwrap()];
                for line in sub.lines().skip(1) {
                    if let Some(name) = line.split_whitespace().next().filter(|n| *n != "help") {
                        found.insert(format!("policy {name}"));
                    }
                }
            }
            other => {
                found.insert(other.to_owned());
            }
        }
    }
    found
}

fn takes(help: &str, flag: &str) -> bool {
    help.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with(&format!("{flag} ")) || l.starts_with(&format!("{flag}\n")) || l == flag || {
            l.split(", ")
                .any(|part| part.split_whitespace().next() == Some(flag))
        }
    })
}

#[test]
fn the_command_table_lists_every_command_of_the_binary() {
    let text = readme();
    let listed: BTreeSet<String> = table_after(&text, "## Commands")
        .into_iter()
        .map(|(cmd, _)| cmd.trim_matches('`').to_owned())
        .collect();
    assert_eq!(listed, commands());
}

#[test]
fn each_shared_flag_row_lists_exactly_the_commands_that_take_it() {
    let text = readme();
    let rows = table_after(&text, "Shared flags");
    assert!(rows.len() >= 10, "{rows:?}");
    let helps: Vec<(String, String)> = commands()
        .into_iter()
        .map(|c| {
            let h = help(&c);
            (c, h)
        })
        .collect();
    let mut wrong = Vec::new();
    for (flag_cell, commands_cell) in rows {
        let flag = flag_cell
            .trim_matches('`')
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        // Without the parenthesised notes: "deploy (with `--dry-run` only)".
        let mut bare = String::new();
        let mut depth = 0;
        for c in commands_cell.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ if depth == 0 => bare.push(c),
                _ => {}
            }
        }
        let mut listed = BTreeSet::new();
        for part in bare.split(',') {
            let name: String = part.split('(').next().unwrap().trim().to_owned();
            if !name.is_empty() {
                listed.insert(name);
            }
        }
        let taking: BTreeSet<String> = helps
            .iter()
            .filter(|(_, h)| takes(h, &flag))
            .map(|(c, _)| c.clone())
            .collect();
        if listed != taking {
            wrong.push(format!(
                "{flag}: README lists {listed:?}, --help shows {taking:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn readme_stays_short_and_keeps_its_first_commands() {
    let text = readme();
    assert!(
        text.lines().count() <= 320,
        "README has {} lines",
        text.lines().count()
    );
    let head: String = text.lines().take(8).collect::<Vec<_>>().join("\n");
    assert!(head.contains("check production --facts fixtures/facts/green.json"));
    assert!(head.contains("cargo test --locked"));
    for section in [
        "## Install",
        "## Adopting it for your team",
        "## Changing a rule",
        "## Commands",
        "### Exit codes",
    ] {
        assert!(text.contains(section), "no {section}");
    }
    assert!(!text.contains("### Additions since the first version"));
    assert!(
        std::fs::read_to_string(root().join("CHANGELOG.md"))
            .unwrap()
            .contains("## Additions since the first version")
    );
}
