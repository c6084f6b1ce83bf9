//! `status` after a run that moved production and then failed: it names that run
//! and the command that puts production back, never "nothing recorded".

use crate::support::assert_exit;
use crate::support::world::{World, run};

#[tokio::test]
async fn status_after_a_failed_deploy_names_the_run_and_the_way_back() {
    let s = World::new(false).await;
    let (code, stdout, stderr) = run(s
        .gatekeeper(&["deploy", "production", "--yes"])
        .env("TTMSCALR_FAIL", "deploy"));
    assert_exit!(code, 1, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let (code, stdout, stderr) = run(&mut s.gatekeeper(&["status", "production"]));
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        !stdout.contains("no deploy or rollback that left it"),
        "{stdout}"
    );
    let back = format!(
        "that run ended failed: to put production back on {0}: gatekeeper rollback production --to {0} --config {1}",
        s.release.production_sha,
        s.config.display()
    );
    assert!(stdout.contains(&back), "no `{back}` in:\n{stdout}");
    let (_, json, _) = run(&mut s.gatekeeper(&["status", "production", "--format", "json"]));
    let status: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        status["production"]["run"]["unfinished"]["outcome"], "failed",
        "{status:#}"
    );
}
