//! The shape of the config's strings, judged at load so that a slip is exit 2
//! naming its key, never a surprise mid-deploy: URLs (scheme, host, no query on a
//! service's base URL, credentials only over https or to this machine), names
//! (not blank, no surrounding whitespace), git branch names. Each check pushes a
//! problem; none reads the network or the disk.

use url::Url;

/// A URL that must be `http://` or `https://` with a host; `None` when it is not
/// (the problem is pushed).
pub fn http_url(problems: &mut Vec<String>, key: &str, url: &str) -> Option<Url> {
    let parsed = match Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => parsed,
        Ok(_) | Err(url::ParseError::RelativeUrlWithoutBase) => {
            problems.push(format!(
                "{key} {url:?} must start with http:// or https:// (e.g. \"https://www.example.com/up\")"
            ));
            return None;
        }
        Err(url::ParseError::EmptyHost) => {
            problems.push(format!(
                "{key} {url:?} has no host: write the whole URL, e.g. \"https://host.example.com\""
            ));
            return None;
        }
        Err(e) => {
            problems.push(format!("{key} {url:?} is not a URL: {e}"));
            return None;
        }
    };
    // WHATWG parsing reads `http:///x` as host `x`: a slip, not a host.
    let written_host = url
        .split_once("://")
        .is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with(['/', '?', '#']));
    if !written_host || parsed.host_str().is_none_or(str::is_empty) {
        problems.push(format!(
            "{key} {url:?} has no host: write the whole URL, e.g. \"https://host.example.com\""
        ));
        return None;
    }
    Some(parsed)
}

/// A service's base URL: an http(s) URL without query or fragment (paths are
/// appended to it, and it is shown in messages); a credential goes to it only
/// over https, or over http to this machine (a local stand-in).
pub fn service_url(problems: &mut Vec<String>, key: &str, url: &str, credential: Option<&str>) {
    let Some(parsed) = http_url(problems, key, url) else {
        return;
    };
    if parsed.query().is_some() || parsed.fragment().is_some() {
        problems.push(format!(
            "{key} has a query or fragment (`?…`, `#…`): give the base URL only; gatekeeper adds the paths and parameters it needs"
        ));
    }
    if let Some(credential_key) = credential
        && parsed.scheme() == "http"
        && !is_loopback(&parsed)
    {
        problems.push(format!(
            "{key} is plain http:// to {}, and the credential {credential_key} names would cross the network readable by anyone on the way: use https:// (http:// is allowed only to this machine: localhost, 127.0.0.1, ::1)",
            parsed.host_str().unwrap_or_default()
        ));
    }
}

/// Whether the URL's host is this machine.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A name (an app, a remote, a job, a repo): not blank, and no whitespace around it
/// (" apangea-rc" is another job than "apangea-rc").
pub fn name(problems: &mut Vec<String>, key: &str, value: &str) -> bool {
    if value.trim().is_empty() {
        problems.push(format!("{key} is empty: give a name"));
        false
    } else if value.trim() != value {
        problems.push(format!(
            "{key} {value:?} has whitespace around it: write {:?}",
            value.trim()
        ));
        false
    } else {
        true
    }
}

/// A git branch name, as `git check-ref-format --branch` would take it, and never
/// one that git would read as an option.
pub fn branch(problems: &mut Vec<String>, key: &str, value: &str) {
    if !name(problems, key, value) {
        return;
    }
    let bad = value.starts_with(['-', '/', '.'])
        || value.ends_with(['/', '.'])
        || value.ends_with(".lock")
        || value.contains("..")
        || value.contains("//")
        || value.contains("@{")
        || value == "@"
        || value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "~^:?*[\\".contains(c));
    if bad {
        problems.push(format!(
            "{key} {value:?} is not a git branch name (no spaces, `..`, `~^:?*[\\`, no leading `-` or `.`, no trailing `/`, `.` or `.lock`)"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(f: impl FnOnce(&mut Vec<String>)) -> Vec<String> {
        let mut problems = Vec::new();
        f(&mut problems);
        problems
    }

    #[test]
    fn a_url_needs_an_http_scheme_and_a_host() {
        assert!(problems(|p| drop(http_url(p, "k", "https://h.example.com/up"))).is_empty());
        for (url, why) in [
            ("www.example.com/up", "must start with http"),
            ("ftp://h/x", "must start with http"),
            ("https://", "has no host"),
            ("http:///x", "has no host"),
            ("https://exa mple.com", "is not a URL"),
        ] {
            let found = problems(|p| drop(http_url(p, "k", url)));
            assert_eq!(found.len(), 1, "{url}: {found:?}");
            assert!(found[0].contains(why), "{url}: {found:?}");
        }
    }

    #[test]
    fn a_credential_goes_over_http_only_to_this_machine() {
        for url in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
            "https://jenkins.example.com",
        ] {
            assert!(
                problems(|p| service_url(p, "jenkins.url", url, Some("jenkins.token_env")))
                    .is_empty(),
                "{url}"
            );
        }
        let found = problems(|p| {
            service_url(
                p,
                "jenkins.url",
                "http://jenkins.example.com",
                Some("jenkins.token_env"),
            )
        });
        assert!(found[0].contains("plain http://"), "{found:?}");
        assert!(found[0].contains("jenkins.token_env"), "{found:?}");
        assert!(
            problems(|p| service_url(p, "jenkins.url", "http://jenkins.example.com", None))
                .is_empty()
        );
        let found = problems(|p| service_url(p, "github.url", "https://h/api?x=1", None));
        assert!(found[0].contains("query"), "{found:?}");
    }

    #[test]
    fn names_and_branches_are_refused_with_what_to_write() {
        assert!(problems(|p| branch(p, "b", "release/2026-11")).is_empty());
        for value in [
            "", " ", " rc", "rc ", "-rc", "a..b", "rc.lock", "a b", "rc/",
        ] {
            assert_eq!(problems(|p| branch(p, "b", value)).len(), 1, "{value:?}");
        }
        let found = problems(|p| {
            name(p, "j", " apangea-rc");
        });
        assert!(found[0].contains("write \"apangea-rc\""), "{found:?}");
    }
}
