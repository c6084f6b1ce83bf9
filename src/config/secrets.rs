//! Secrets written into `gatekeeper.toml`, found on the bare TOML table before
//! anything else reads it, and named by key, never by value: a secret-bearing key
//! (`token = …`), a `*_env` key whose value is a token rather than a variable
//! name, a token-shaped word in any string, and a URL carrying credentials (a
//! user or password, or a query or fragment parameter named like one, e.g.
//! `?api_key=`). The one list of token shapes lives here.

/// Keys that hold a secret when written inline.
const SECRET_KEYS: [&str; 5] = ["token", "api_key", "apikey", "password", "secret"];

/// How the tokens of the services gatekeeper and its users meet begin (matched in
/// any case):
/// GitHub (classic, OAuth, app, user-to-server, refresh, fine-grained), New Relic
/// user keys, GitLab, Slack, npm, PyPI, Stripe live keys.
const TOKEN_PREFIXES: [&str; 17] = [
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "ghr_",
    "github_pat_",
    "NRAK-",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxs-",
    "xoxe-",
    "xapp-",
    "npm_",
    "pypi-",
    "sk_live_",
];

/// Every secret written into the config, each as a problem naming its key.
pub(super) fn inline_secrets(value: &toml::Value, at: &str, problems: &mut Vec<String>) {
    match value {
        toml::Value::Table(table) => {
            for (key, value) in table {
                let here = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                let lower = key.to_ascii_lowercase();
                if let Some(prefix) = token_word(key) {
                    // Named by where it is: the key itself is the secret.
                    problems.push(format!(
                        "a key {} is a token (a word starting with `{prefix}`): delete it; secrets come only from environment variables",
                        if at.is_empty() {
                            "at the top level".to_owned()
                        } else {
                            format!("in [{at}]")
                        }
                    ));
                } else if SECRET_KEYS.contains(&lower.as_str()) {
                    problems.push(format!(
                        "{here} holds a secret written into the config: delete it, export the secret in an environment variable and name that variable in {}",
                        env_key_for(at)
                    ));
                } else if lower.ends_with("_env")
                    && let Some(name) = value.as_str()
                    && !is_variable_name(name)
                {
                    problems.push(format!(
                        "{here} must be the NAME of an environment variable (like GITHUB_TOKEN), but its value looks like a secret: put the secret in the variable, its name here"
                    ));
                } else {
                    inline_secrets(value, &here, problems);
                }
            }
        }
        toml::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                inline_secrets(item, &format!("{at}[{i}]"), problems);
            }
        }
        toml::Value::String(text) => {
            let fix = "credentials come only from the environment variables the config names (jenkins.token_env, newrelic.api_key_env, github.token_env)";
            if has_userinfo(text) {
                problems.push(format!(
                    "{at} is a URL with a user or password in it: remove them; {fix}"
                ));
            }
            if let Some(name) = credential_parameter(text) {
                problems.push(format!(
                    "{at} is a URL with a parameter `{name}` that looks like a credential: remove it (it would be shown in messages and logs); {fix}"
                ));
            }
            if let Some(prefix) = token_word(text) {
                problems.push(format!(
                    "{at} holds a token (a word starting with `{prefix}`): delete it; {fix}"
                ));
            }
        }
        _ => {}
    }
}

/// The key that should name the variable instead, for a section.
fn env_key_for(section: &str) -> &'static str {
    match section {
        "newrelic" => "newrelic.api_key_env",
        "jenkins" => "jenkins.token_env",
        _ => "github.token_env (or jenkins.token_env, newrelic.api_key_env)",
    }
}

/// An environment variable name, not a secret pasted in its place: letters, digits
/// and `_`, not starting with a digit, and none of the shapes tokens have (known
/// prefixes; long runs of mixed letters and digits).
pub fn is_variable_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let shaped = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    let digits = name.chars().filter(char::is_ascii_digit).count();
    let tokenish = TOKEN_PREFIXES
        .iter()
        .any(|p| lower.starts_with(&p.to_ascii_lowercase()))
        || (name.len() >= 20 && digits >= 4 && !name.contains('_'))
        || (name.chars().any(|c| c.is_ascii_lowercase())
            && name.chars().any(|c| c.is_ascii_uppercase())
            && digits >= 4);
    shaped && !tokenish
}

/// The prefix of the first word of `text` that is a token: a known prefix followed
/// by at least 8 more letters, digits, `_` or `-` (so that prose naming a prefix,
/// like "ghp_…", is no token).
pub(super) fn token_word(text: &str) -> Option<&'static str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .find_map(|word| {
            let lower = word.to_ascii_lowercase();
            TOKEN_PREFIXES
                .iter()
                .find(|p| lower.starts_with(&p.to_ascii_lowercase()) && word.len() >= p.len() + 8)
                .copied()
        })
}

/// The name of the first query or fragment parameter of the URL `text` that is
/// named like a credential (`token`, `api_key`, `access_token`, `X-Api-Key`, …).
fn credential_parameter(text: &str) -> Option<String> {
    let (_, rest) = text.split_once("://")?;
    let params = rest.split_once(['?', '#']).map(|(_, p)| p)?;
    params
        .split(['&', ';', '?', '#'])
        .map(|pair| pair.split('=').next().unwrap_or(pair))
        .find(|name| is_credential_name(name))
        .map(str::to_owned)
}

/// Whether a parameter name says it carries a credential.
fn is_credential_name(name: &str) -> bool {
    const NAMES: [&str; 12] = [
        "key",
        "auth",
        "sig",
        "signature",
        "pass",
        "pwd",
        "passwd",
        "password",
        "secret",
        "token",
        "apikey",
        "credentials",
    ];
    const ENDINGS: [&str; 6] = ["token", "secret", "password", "passwd", "_key", "apikey"];
    let name = name.to_ascii_lowercase().replace(['-', '.'], "_");
    NAMES.contains(&name.as_str()) || ENDINGS.iter().any(|e| name.ends_with(e))
}

/// Whether `text` is a URL with a user or password (`scheme://user:pass@host`).
fn has_userinfo(text: &str) -> bool {
    let Some((_, rest)) = text.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_names_pass_and_pasted_tokens_do_not() {
        for name in [
            "GITHUB_TOKEN",
            "NEW_RELIC_API_KEY",
            "gk_token",
            "TOKEN_2024",
        ] {
            assert!(is_variable_name(name), "{name}");
        }
        for value in [
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "github_pat_11ABCDEFG",
            "NRAK-ABCDEF0123456789",
            "xoxb-1234-abcd",
            "11f0e5c3a9d24b7e8f9a0b1c2d3e4f5a",
            "a b",
            "",
        ] {
            assert!(!is_variable_name(value), "{value}");
        }
    }

    #[test]
    fn a_token_shaped_word_is_found_anywhere_in_a_string() {
        for (text, prefix) in [
            ("https://h/graphql?api_key=NRAK-ABCDEF1234567890", "NRAK-"),
            (
                "curl -H 'Authorization: ghp_16C7e42F292c6912E7710c8'",
                "ghp_",
            ),
            ("github_pat_11ABCDEFG0123456789", "github_pat_"),
            ("post to xoxb-123456789012-abcdef", "xoxb-"),
            ("glpat-abcdefghijklmnop", "glpat-"),
        ] {
            assert_eq!(token_word(text), Some(prefix), "{text}");
        }
        for text in [
            "a GitHub token starts with ghp_",
            "rc",
            "https://www.thinkthroughmath.com/up",
            "field-team@imaginelearning.com",
        ] {
            assert_eq!(token_word(text), None, "{text}");
        }
    }

    #[test]
    fn a_token_as_a_key_is_named_by_its_table_only() {
        let document: toml::Table =
            toml::from_str("[targets.ghp_16C7e42F292c6912E7710c8]\napp = \"a\"\n").unwrap();
        let mut problems = Vec::new();
        inline_secrets(&toml::Value::Table(document), "", &mut problems);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("in [targets]"), "{problems:?}");
        assert!(!problems[0].contains("16C7e42F"), "{problems:?}");
    }

    #[test]
    fn a_url_parameter_named_like_a_credential_is_found_by_name() {
        for (url, name) in [
            ("https://h/graphql?api_key=x", "api_key"),
            ("https://h/x?a=1&token=x", "token"),
            ("https://h/x?Access-Token=x", "Access-Token"),
            ("https://h/x?apikey=x", "apikey"),
            ("https://h/x?key=x", "key"),
            ("https://h/x?password=x", "password"),
            ("https://h/x?client_secret=x", "client_secret"),
            ("https://h/x?auth=x", "auth"),
            ("https://h/x#access_token=x", "access_token"),
            ("https://h/x?private_token", "private_token"),
        ] {
            assert_eq!(credential_parameter(url).as_deref(), Some(name), "{url}");
        }
        for url in [
            "https://h/up?full=1",
            "https://h/monkey?keyboard=1",
            "https://h/token/x",
            "not a url ?token=x",
        ] {
            assert_eq!(credential_parameter(url), None, "{url}");
        }
    }
}
