//! The one clean environment (`support::clean_env`) keeps the secrets, proxies and
//! CI variables of the test process from every child: the test runs this test
//! binary again with such variables set (the way a developer's shell or a CI runner
//! would have them), and the probe there looks at what its children got.

use crate::support::world::World;
use crate::support::{assert_exit, binary_in, cleared, program_in};

/// Set only by the test for the probe it starts.
const PROBE: &str = "GK_CLEAN_ENV_PROBE";

/// What a developer's shell or a runner may hold, one of each kind: a secret
/// gatekeeper reads, one of the secrets' family, proxies in both cases, CI.
const PLANTED: &[(&str, &str)] = &[
    ("GITHUB_TOKEN", "planted-github-token"),
    ("ACME_DEPLOY_TOKEN", "planted-acme-token"),
    ("NEW_RELIC_LICENSE_KEY", "planted-license-key"),
    ("VAULT_SECRET", "planted-vault-secret"),
    ("HTTPS_PROXY", "http://127.0.0.1:9/planted-https-proxy"),
    ("http_proxy", "http://127.0.0.1:9/planted-http-proxy"),
    ("ALL_PROXY", "http://127.0.0.1:9/planted-all-proxy"),
    ("no_proxy", "planted-no-proxy"),
    ("CI", "planted-ci"),
    ("GITHUB_RUN_ID", "planted-run-id"),
    ("JENKINS_HOME", "planted-jenkins-home"),
    ("BUILD_URL", "https://ci.example/planted-build-url"),
];

#[test]
fn secrets_proxies_and_ci_of_the_test_process_reach_no_child() {
    let mut probe = std::process::Command::new(std::env::current_exe().unwrap());
    probe
        .args([
            "clean_env::probe",
            "--exact",
            "--include-ignored",
            "--test-threads=1",
        ])
        .env(PROBE, "1")
        .envs(PLANTED.iter().copied());
    let out = probe.output().unwrap();
    assert_exit!(out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("1 passed"), "the probe ran: {stdout}");
}

#[test]
fn the_planted_variables_are_all_of_a_cleared_kind() {
    for (name, _) in PLANTED {
        assert!(cleared(name), "{name}");
    }
    for kept in ["PATH", "HOME", "LANG", "TMPDIR", "GIT_CONFIG_NOSYSTEM"] {
        assert!(!cleared(kept), "{kept}");
    }
}

/// The variables of a cleared kind this process has, set by the test above (or by
/// whoever runs it with `--include-ignored`): none reaches a child.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a probe: `secrets_proxies_and_ci_of_the_test_process_reach_no_child` runs it with the variables set"]
async fn probe() {
    let inherited: Vec<(String, String)> = std::env::vars().filter(|(k, _)| cleared(k)).collect();
    if std::env::var_os(PROBE).is_some() {
        for (name, value) in PLANTED {
            assert!(
                inherited.contains(&(name.to_string(), value.to_string())),
                "the probe's process has {name}"
            );
        }
    }
    // A child has one when it has the name, or a planted value under any name.
    let leaked = |env: &str| -> Vec<String> {
        let named = inherited
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| env.lines().any(|l| l.starts_with(&format!("{name}="))));
        let valued = PLANTED
            .iter()
            .filter(|(_, value)| env.contains(value))
            .map(|(name, _)| *name);
        named.chain(valued).map(str::to_owned).collect()
    };
    let dir = tempfile::tempdir().unwrap();

    // The binary's command removes each of them.
    let cmd = binary_in(dir.path());
    let removed: Vec<_> = cmd
        .get_envs()
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| k.to_string_lossy().into_owned())
        .collect();
    for (name, _) in &inherited {
        assert!(removed.contains(name), "binary_in keeps {name}");
    }

    // A program around the binary (`script`, `bash`) sees none of them.
    let out = program_in("env", dir.path()).output().unwrap();
    assert_exit!(out, 0);
    let env = String::from_utf8_lossy(&out.stdout);
    assert_eq!(leaked(&env), Vec::<String>::new(), "{env}");

    // Nor does gatekeeper: a deploy reaches the services (no proxy in the way) and
    // its runbook's `ttmscalr` writes down the environment it was given.
    let w = World::new(false).await;
    let log = w.dir().join("ttmscalr.env");
    let out = w
        .gatekeeper(&["deploy", "production", "--yes"])
        .env("TTMSCALR_ENV_LOG", &log)
        .output()
        .unwrap();
    assert_exit!(out, 0);
    let env = std::fs::read_to_string(&log).unwrap();
    assert!(env.contains("TTMSCALR_LOG="), "{env}");
    assert_eq!(leaked(&env), Vec::<String>::new(), "{env}");
}
