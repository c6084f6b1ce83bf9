//! The documented contracts hold: the decision JSON's schema version, and nothing in
//! the repository cites a document that is not in it.

use crate::support::assert_exit;
use crate::support::{decide, fixture, gatekeeper, root};

#[test]
fn the_decision_json_carries_schema_1_before_its_fields() {
    let mut cmd = gatekeeper();
    cmd.args(["check", "production", "--format", "json", "--facts"])
        .arg(fixture("facts/too-busy.json"));
    let (code, decision) = decide(&mut cmd);
    assert_exit!(code, 1);
    assert_eq!(decision["schema"], 1);
    assert_eq!(decision["allow"], false);
    let out = gatekeeper()
        .args(["check", "production", "--format", "json", "--facts"])
        .arg(fixture("facts/green.json"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("{\n  \"schema\": 1,"), "{text}");
}

/// Every text file git tracks (or would track), but the test helpers themselves.
fn tracked_text_files() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![root()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with('.') && name != ".ci" || name == "target" {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else if std::fs::read_to_string(&path).is_ok() {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn nothing_in_the_repository_cites_a_document_outside_it() {
    let this = root().join("tests/it/contracts.rs");
    let banned = [
        concat!("DESIGN", ".md"),
        concat!("API-NOTES", ".md"),
        concat!("STYLE", ".md"),
        concat!("../", "shared"),
    ];
    let mut found = Vec::new();
    for path in tracked_text_files().into_iter().filter(|p| *p != this) {
        let text = std::fs::read_to_string(&path).unwrap();
        for word in banned {
            if text.contains(word) {
                found.push(format!("{} cites {word}", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn every_relative_link_in_the_docs_and_readme_resolves() {
    let mut docs: Vec<_> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.push(root().join("README.md"));
    docs.push(root().join("policies/FACTS.md"));
    let mut broken = Vec::new();
    for doc in &docs {
        let text = std::fs::read_to_string(doc).unwrap();
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let Some(end) = rest.find(')') else { continue };
            let link = &rest[..end];
            if link.contains("://") || link.starts_with('#') || link.starts_with("mailto:") {
                continue;
            }
            let file = link.split('#').next().unwrap();
            if !doc.parent().unwrap().join(file).exists() {
                broken.push(format!("{}: {link}", doc.display()));
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn every_flag_of_every_command_is_in_the_cli_reference() {
    let reference = std::fs::read_to_string(root().join("docs/cli.md")).unwrap();
    for cmd in [
        &["check"][..],
        &["facts"],
        &["deploy"],
        &["rollback"],
        &["policy", "test"],
        &["policy", "check"],
        &["window"],
        &["notice"],
        &["history"],
        &["status"],
        &["unlock"],
        &["chatops"],
        &["completions"],
        &["attest", "keygen"],
        &["attest", "verify"],
        &["attest", "predicate"],
        &["init"],
    ] {
        let out = gatekeeper().args(cmd).arg("--help").output().unwrap();
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(
            reference.contains(&format!("## `gatekeeper {}", cmd.join(" "))),
            "docs/cli.md has no section for {cmd:?}"
        );
        for word in help.split_whitespace() {
            let flag: String = word
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if flag.starts_with("--") && flag.len() > 2 && flag != "--help" {
                assert!(
                    reference.contains(&format!("`{flag}")),
                    "docs/cli.md does not document {flag} of {cmd:?}"
                );
            }
        }
    }
}
