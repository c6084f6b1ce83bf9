//! Signed decisions through the real binary: `attest keygen`, `check --attest-out`,
//! `attest verify` (exit 0 pass / 1 refused / 2 malformed or badly signed) with the
//! verdict recomputed by the real policies, and a deploy whose target requires a
//! signed decision, on real git (`crate::support::world::World`).

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::support::assert_exit;
use crate::support::world::{World, run};
use crate::support::{gatekeeper, root};

const GREEN: &str = "fixtures/facts/green.json";
const TOO_BUSY: &str = "fixtures/facts/too-busy.json";
/// green.json's release head of apangea.
const GREEN_APANGEA: &str = "3f2a9c1e8b7d6a5f4e3d2c1b0a99887766554433";

fn keygen(dir: &Path, key_type: &str) -> (PathBuf, PathBuf) {
    let (private, public) = (
        dir.join(format!("{key_type}.pem")),
        dir.join(format!("{key_type}.pub")),
    );
    let out = gatekeeper()
        .args(["attest", "keygen", "--type", key_type, "--out"])
        .arg(&private)
        .arg("--pub")
        .arg(&public)
        .output()
        .unwrap();
    assert_exit!(out, 0, "{out:?}");
    (private, public)
}

/// Signs the decision on `facts` with `key` into `out`; returns check's exit code.
fn sign(facts: &str, key: &Path, out: &Path) -> i32 {
    let result = gatekeeper()
        .args(["check", "production", "--facts", facts, "--format", "json"])
        .arg("--attest-out")
        .arg(out)
        .arg("--attest-key")
        .arg(key)
        .output()
        .unwrap();
    assert!(out.exists(), "{result:?}");
    result.status.code().unwrap()
}

fn verify(file: &Path, public: &Path, extra: &[&str]) -> (i32, String, String) {
    run(gatekeeper()
        .args(["attest", "verify"])
        .arg(file)
        .arg("--pub")
        .arg(public)
        .args(extra))
}

fn envelope(file: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

fn statement(file: &Path) -> Value {
    let payload = STANDARD
        .decode(envelope(file)["payload"].as_str().unwrap())
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

#[test]
fn keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, public) = keygen(tmp.path(), "p256");
    let pem = std::fs::read_to_string(&private).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
    assert!(
        std::fs::read_to_string(&public)
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----\n")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (code, _, stderr) = run(gatekeeper()
        .args(["attest", "keygen", "--out"])
        .arg(&private)
        .arg("--pub")
        .arg(tmp.path().join("other.pub")));
    assert_exit!(code, 2, "{stderr}");
    assert!(stderr.contains("never overwrites"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&private).unwrap(), pem);
}

#[test]
fn both_key_types_sign_a_decision_that_verifies_as_passed() {
    let tmp = tempfile::tempdir().unwrap();
    for key_type in ["ed25519", "p256"] {
        let (private, public) = keygen(tmp.path(), key_type);
        let file = tmp.path().join(format!("{key_type}.intoto.json"));
        assert_eq!(sign(GREEN, &private, &file), 0);

        let envelope = envelope(&file);
        assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
        let keyid = envelope["signatures"][0]["keyid"].as_str().unwrap();
        assert_eq!(keyid.len(), 64);
        let statement = statement(&file);
        assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
        assert_eq!(
            statement["predicateType"],
            "https://slsa.dev/verification_summary/v1"
        );
        assert_eq!(
            statement["subject"][0]["name"],
            "git+https://github.com/thinkthroughmath/apangea@refs/heads/rc"
        );
        assert_eq!(
            statement["subject"][0]["digest"]["gitCommit"],
            GREEN_APANGEA
        );
        let predicate = &statement["predicate"];
        assert_eq!(predicate["verificationResult"], "PASSED");
        assert_eq!(
            predicate["resourceUri"],
            "git+https://github.com/thinkthroughmath/aws-production@refs/heads/master#production"
        );
        assert_eq!(predicate["timeVerified"], "2026-11-24T19:00:00Z");
        assert_eq!(
            predicate["policy"]["digest"]["sha256"]
                .as_str()
                .unwrap()
                .len(),
            64
        );
        assert_eq!(
            predicate["inputAttestations"][0]["digest"]["sha256"]
                .as_str()
                .unwrap()
                .len(),
            64
        );
        for level in predicate["verifiedLevels"].as_array().unwrap() {
            assert!(!level.as_str().unwrap().starts_with("SLSA_"), "{level}");
        }
        let ours = &predicate["https://github.com/thinkthroughmath/gatekeeper/attestation/deploy-decision/v1"];
        assert_eq!(ours["target"], "production");
        assert_eq!(ours["checks"].as_array().unwrap().len(), 8);

        let (code, stdout, stderr) = verify(&file, &public, &["--format", "json"]);
        assert_exit!(code, 0, "{stdout}{stderr}");
        let report: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(report["passed"], true);
        assert_eq!(report["keyid"], keyid);
    }
}

#[test]
fn one_changed_byte_of_payload_signature_or_key_id_is_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    for key_type in ["ed25519", "p256"] {
        let (private, public) = keygen(tmp.path(), key_type);
        let file = tmp.path().join("signed.json");
        assert_eq!(sign(GREEN, &private, &file), 0);
        let original = envelope(&file);

        let flip_base64 = |text: &str, at: usize| {
            let mut bytes = STANDARD.decode(text).unwrap();
            bytes[at] ^= 0x01;
            STANDARD.encode(bytes)
        };
        let mut payload = original.clone();
        payload["payload"] = flip_base64(original["payload"].as_str().unwrap(), 40).into();
        let mut sig = original.clone();
        sig["signatures"][0]["sig"] =
            flip_base64(original["signatures"][0]["sig"].as_str().unwrap(), 10).into();
        let mut keyid = original.clone();
        let id = original["signatures"][0]["keyid"].as_str().unwrap();
        let changed = if id.starts_with('0') { "1" } else { "0" };
        keyid["signatures"][0]["keyid"] = format!("{changed}{}", &id[1..]).into();

        for (what, tampered) in [("payload", payload), ("sig", sig), ("keyid", keyid)] {
            let bad = tmp.path().join(format!("{what}.json"));
            std::fs::write(&bad, tampered.to_string()).unwrap();
            let (code, stdout, stderr) = verify(&bad, &public, &[]);
            assert_exit!(code, 2, "{key_type} {what}: {stdout}{stderr}");
            assert!(stdout.is_empty(), "{stdout}");
        }
        // Another key of the same type is an unknown key.
        let stranger = tempfile::tempdir().unwrap();
        let (_, other) = keygen(stranger.path(), key_type);
        let (code, _, stderr) = verify(&file, &other, &[]);
        assert_exit!(code, 2, "{stderr}");
        assert!(stderr.contains("no signature by key"), "{stderr}");
    }
}

#[test]
fn a_signed_deny_verifies_as_failed_with_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, public) = keygen(tmp.path(), "ed25519");
    let file = tmp.path().join("deny.json");
    assert_eq!(sign(TOO_BUSY, &private, &file), 1);
    assert_eq!(
        statement(&file)["predicate"]["verificationResult"],
        "FAILED"
    );
    assert_eq!(
        statement(&file)["predicate"]["verifiedLevels"],
        serde_json::json!(["FAILED"])
    );
    let (code, stdout, _) = verify(&file, &public, &[]);
    assert_exit!(code, 1, "{stdout}");
    assert!(stdout.contains("the gate said FAILED"), "{stdout}");
    assert!(stdout.contains("failing: throughput"), "{stdout}");
}

#[test]
fn max_age_subject_and_target_refuse_a_valid_attestation() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, public) = keygen(tmp.path(), "p256");
    let file = tmp.path().join("green.json");
    assert_eq!(sign(GREEN, &private, &file), 0);

    // Decided on 2026-11-24: more than an hour before any clock this runs on.
    let (code, stdout, _) = verify(&file, &public, &["--max-age", "1h"]);
    assert_exit!(code, 1, "{stdout}");
    assert!(stdout.contains("too old"), "{stdout}");
    let (code, stdout, _) = verify(&file, &public, &["--max-age", "36500d"]);
    assert_exit!(code, 0, "{stdout}");
    // Read like every DURATION flag: compound units pass, a bare number is refused
    // (its unit would be a guess), and so is an age nothing can be younger than.
    let (code, stdout, _) = verify(&file, &public, &["--max-age", "5214w1h30m"]);
    assert_exit!(code, 0, "{stdout}");
    let (code, _, stderr) = verify(&file, &public, &["--max-age", "120"]);
    assert_exit!(code, 2, "{stderr}");
    assert!(stderr.contains("is not a duration"), "{stderr}");
    let (code, _, stderr) = verify(&file, &public, &["--max-age", "0s"]);
    assert_exit!(code, 2, "{stderr}");

    let other = "0123456789abcdef0123456789abcdef01234567";
    let (code, stdout, _) = verify(&file, &public, &["--subject", other]);
    assert_exit!(code, 1, "{stdout}");
    assert!(
        stdout.contains(&format!("commit {other} is not among its subjects")),
        "{stdout}"
    );
    let (code, stdout, _) = verify(&file, &public, &["--subject", GREEN_APANGEA]);
    assert_exit!(code, 0, "{stdout}");

    let (code, stdout, _) = verify(&file, &public, &["--target", "staging"]);
    assert_exit!(code, 1, "{stdout}");
    let (code, _, _) = verify(&file, &public, &["--target", "production"]);
    assert_exit!(code, 0);
}

fn copy_policies(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(root().join("policies")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn facts_and_policies_recompute_the_verdict_and_catch_a_policy_that_differs() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, public) = keygen(tmp.path(), "ed25519");
    let file = tmp.path().join("green.json");
    assert_eq!(sign(GREEN, &private, &file), 0);
    let policies = tmp.path().join("policies");
    copy_policies(&policies);
    let recompute = |facts: &str| {
        verify(
            &file,
            &public,
            &["--facts", facts, "--policies", policies.to_str().unwrap()],
        )
    };
    let (code, stdout, stderr) = recompute(GREEN);
    assert_exit!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("recomputed"), "{stdout}");

    // Other facts: another digest and another verdict.
    let (code, stdout, _) = recompute(TOO_BUSY);
    assert_exit!(code, 1, "{stdout}");
    assert!(
        stdout.contains("are not the facts it was decided on"),
        "{stdout}"
    );
    assert!(
        stdout.contains("recomputed, the verdict is FAILED"),
        "{stdout}"
    );

    // A policy that differs, if only by a comment added after the decision.
    let settings = policies.join("settings.rego");
    let text = std::fs::read_to_string(&settings).unwrap();
    std::fs::write(&settings, text + "\n# edited after the decision\n").unwrap();
    let (code, stdout, _) = recompute(GREEN);
    assert_exit!(code, 1, "{stdout}");
    assert!(
        stdout.contains("are not the policies it was decided by"),
        "{stdout}"
    );
}

#[test]
fn a_bad_signing_key_in_the_environment_is_exit_2_and_never_echoed() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = "c2VjcmV0LXNpZ25pbmcta2V5LWJvZHktdGhhdC1pcy1ub3QtYS1rZXk=";
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{secret}\n-----END PRIVATE KEY-----\n");
    let out = tmp.path().join("a.json");
    let (code, stdout, stderr) = run(gatekeeper()
        .args(["check", "production", "--facts", GREEN, "--attest-out"])
        .arg(&out)
        .env("GATEKEEPER_SIGNING_KEY", &pem));
    assert_exit!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("GATEKEEPER_SIGNING_KEY"), "{stderr}");
    assert!(!stderr.contains(secret) && !stdout.contains(secret));
    assert!(!out.exists());
    // No key at all: said before any decision.
    let (code, _, stderr) = run(gatekeeper()
        .args(["check", "production", "--facts", GREEN, "--attest-out"])
        .arg(&out));
    assert_exit!(code, 2);
    assert!(stderr.contains("--attest-key"), "{stderr}");
}

#[test]
fn the_signing_key_may_come_from_the_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, public) = keygen(tmp.path(), "ed25519");
    let out = tmp.path().join("a.json");
    let (code, _, stderr) = run(gatekeeper()
        .args(["check", "production", "--facts", GREEN, "--attest-out"])
        .arg(&out)
        .env(
            "GATEKEEPER_SIGNING_KEY",
            std::fs::read_to_string(&private).unwrap(),
        ));
    assert_exit!(code, 0, "{stderr}");
    assert_exit!(verify(&out, &public, &[]).0, 0);
}

#[test]
fn predicate_writes_the_unsigned_vsa_predicate() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("predicate.json");
    let (code, _, stderr) = run(gatekeeper()
        .args([
            "attest",
            "predicate",
            "production",
            "--facts",
            GREEN,
            "--out",
        ])
        .arg(&out));
    assert_exit!(code, 0, "{stderr}");
    let predicate: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(predicate["verificationResult"], "PASSED");
    assert_eq!(predicate["inputAttestations"][0]["uri"], "green.json");
    assert!(predicate.get("_type").is_none());
}

// --- A deploy whose target requires a signed decision, on real git.

async fn requiring() -> World {
    let s = World::with_config(false, |text| {
        *text = text.replace(
            "notices_repo = \"thinkthroughmath/deploy-notices\"",
            "notices_repo = \"thinkthroughmath/deploy-notices\"\nrequire_attestation = \"gate.pub\"",
        );
    })
    .await;
    let out = gatekeeper()
        .args(["attest", "keygen", "--type", "p256", "--out"])
        .arg(s.release.work.join("gate.pem"))
        .arg("--pub")
        .arg(s.release.work.join("gate.pub"))
        .output()
        .unwrap();
    assert_exit!(out, 0, "{out:?}");
    s
}

/// A live check on the stand-in services, signed with the setup's key.
fn signed_check(s: &World) -> PathBuf {
    let file = s.release.work.join("decision.intoto.json");
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&[
        "check",
        "production",
        &format!("--attest-out={}", file.display()),
        &format!("--attest-key={}", s.release.work.join("gate.pem").display()),
    ]));
    assert_exit!(code, 0, "{stdout}{stderr}");
    file
}

fn nothing_changed(s: &World, before: &str) {
    assert_eq!(s.release.deploy_head(), before);
    assert!(s.ttmscalr().is_empty());
    // The signed check's record only: no deploy, no lock, no step.
    assert!(
        s.audit().iter().all(|r| r["kind"] == "check"),
        "{:#?}",
        s.audit()
    );
}

#[tokio::test]
async fn a_deploy_that_requires_a_signed_decision_refuses_without_one() {
    let s = requiring().await;
    let before = s.release.deploy_head();
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("requires a signed decision"), "{stderr}");
    assert!(
        stderr.contains("no --attestation FILE was given"),
        "{stderr}"
    );
    nothing_changed(&s, &before);

    // The dry run shows the requirement.
    let (code, _, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--dry-run"]));
    assert_exit!(code, 0, "{stderr}");
    assert!(stderr.contains("requires a signed decision"), "{stderr}");
    assert!(stderr.contains("The deploy would refuse"), "{stderr}");
}

#[tokio::test]
async fn a_deploy_refuses_a_signed_decision_about_other_release_heads() {
    let s = requiring().await;
    let file = signed_check(&s);
    // The release moved after the gate signed: the deploy would merge another head.
    let scratch = tempfile::tempdir().unwrap();
    let moved = s.release.apangea.move_rc(scratch.path());
    let before = s.release.deploy_head();
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&[
        "deploy",
        "production",
        "--yes",
        &format!("--attestation={}", file.display()),
    ]));
    assert_exit!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("it is about other release heads"),
        "{stderr}"
    );
    assert!(stderr.contains(&moved), "{stderr}");
    nothing_changed(&s, &before);
}

#[tokio::test]
async fn a_deploy_refuses_a_signed_deny_and_a_decision_signed_by_another_key() {
    let s = requiring().await;
    let before = s.release.deploy_head();
    let other = tempfile::tempdir().unwrap();
    let (stranger, _) = keygen(other.path(), "p256");
    let file = s.release.work.join("stranger.json");
    let (code, _, stderr) = run(&mut s.gatekeeper(&[
        "check",
        "production",
        &format!("--attest-out={}", file.display()),
        &format!("--attest-key={}", stranger.display()),
    ]));
    assert_exit!(code, 0, "{stderr}");
    let (code, _, stderr) = run(&mut s.gatekeeper(&[
        "deploy",
        "production",
        "--yes",
        &format!("--attestation={}", file.display()),
    ]));
    assert_exit!(code, 1, "{stderr}");
    assert!(stderr.contains("no signature by key"), "{stderr}");
    nothing_changed(&s, &before);
}

#[tokio::test]
async fn a_deploy_runs_with_a_fresh_passing_signed_decision_and_records_its_own() {
    let s = requiring().await;
    let store = crate::support::deployments::mount(&s.services).await;
    let file = signed_check(&s);
    let own = s.release.work.join("deploy.intoto.json");
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&[
        "deploy",
        "production",
        "--yes",
        &format!("--attestation={}", file.display()),
        &format!("--attest-out={}", own.display()),
        &format!("--attest-key={}", s.release.work.join("gate.pem").display()),
    ]));
    assert_exit!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("verified: PASSED"), "{stderr}");
    assert_eq!(
        s.release.apangea.origin_head("master"),
        s.release.deploy_head()
    );
    assert_ne!(s.release.deploy_head(), s.release.production_sha);

    // The deploy's own signed decision: its digest is in the run's record.
    let digest = {
        use sha2::Digest;
        let bytes = std::fs::read(&own).unwrap();
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let records = s.audit();
    let deploy = crate::support::world::last_of(&records, "deploy");
    assert_eq!(deploy["outcome"], "ok");
    assert_eq!(deploy["attestation_sha256"], digest.as_str());
    let shared = store.all();
    assert_eq!(
        shared[0].body["payload"]["gatekeeper"]["attestation_sha256"],
        digest.as_str()
    );
    let statement = statement(&own);
    let ours = &statement["predicate"]["https://github.com/thinkthroughmath/gatekeeper/attestation/deploy-decision/v1"];
    assert_eq!(ours["runId"], deploy["run"]);
    assert_eq!(ours["productionSha"], s.release.production_sha.as_str());
    assert_eq!(
        statement["subject"][0]["digest"]["gitCommit"],
        s.apangea_rc.as_str()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_signing_key_never_reaches_a_step_and_what_a_step_prints_of_it_is_scrubbed() {
    let s = World::new(false).await;
    let tmp = tempfile::tempdir().unwrap();
    let (private, _) = keygen(tmp.path(), "ed25519");
    let pem = std::fs::read_to_string(&private).unwrap();
    let body = pem.lines().nth(1).unwrap().to_owned();
    let env_log = s.release.root.join("ttmscalr-env.log");
    let own = s.release.work.join("deploy.intoto.json");
    let (code, stdout, stderr) = run(s
        .gatekeeper(&[
            "deploy",
            "production",
            "--yes",
            &format!("--attest-out={}", own.display()),
        ])
        .env("GATEKEEPER_SIGNING_KEY", &pem)
        .env("TTMSCALR_ENV_LOG", &env_log)
        .env("TTMSCALR_SAY", format!("the key is {body}"))
        .env("TTMSCALR_FAIL", "deploy"));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(own.exists(), "signed before the first step");
    let env = std::fs::read_to_string(&env_log).unwrap();
    assert!(
        !env.contains("GATEKEEPER_SIGNING_KEY="),
        "the key reached a step"
    );
    assert!(stdout.contains("the key is [REDACTED]"), "{stdout}");
    let log = std::fs::read_to_string(&s.audit).unwrap();
    assert!(!stdout.contains(&body) && !stderr.contains(&body) && !log.contains(&body));
}

#[test]
fn a_signed_decision_left_from_an_earlier_run_is_removed_when_no_decision_is_made() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, _) = keygen(tmp.path(), "ed25519");
    let file = tmp.path().join("decision.intoto.json");
    assert_eq!(sign(GREEN, &private, &file), 0);
    // The same run again on a facts file that cannot be read: exit 2.
    let (code, _, stderr) = run(gatekeeper()
        .args([
            "check",
            "production",
            "--facts",
            "fixtures/facts/missing.json",
        ])
        .arg("--attest-out")
        .arg(&file)
        .arg("--attest-key")
        .arg(&private));
    assert_exit!(code, 2, "{stderr}");
    assert!(
        !file.exists(),
        "the earlier PASSED attestation still stands"
    );
}
