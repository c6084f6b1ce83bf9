//! The release clones where CI keeps them: with `workdir`, a wiped workspace is
//! recloned and deploys as written; a missing clone elsewhere is diagnosed with the
//! `git clone` to run; a dry run says what it would clone and changes nothing.

use crate::support::assert_exit;
use crate::support::git::rev;
use crate::support::world::{World, run};

/// Rewrites the setup's config so that the repos live in `work/clones` and are
/// cloned from their bare origins, and removes the clones the setup made.
fn in_workdir(s: &World) {
    let text = std::fs::read_to_string(&s.config).unwrap();
    let text = format!("workdir = \"clones\"\n{text}")
        .replace(
            "path = \"../apangea\"",
            &format!(
                "clone_url = {:?}",
                s.release.apangea.origin.display().to_string()
            ),
        )
        .replace(
            "path = \"../lesson-content\"",
            &format!(
                "clone_url = {:?}",
                s.release.lesson.origin.display().to_string()
            ),
        )
        .replace(
            "deploy_remote = \"aws-production\"",
            &format!(
                "deploy_remote = \"aws-production\"\ndeploy_remote_url = {:?}",
                s.release.deploy_remote.display().to_string()
            ),
        );
    std::fs::write(&s.config, text).unwrap();
    std::fs::remove_dir_all(&s.release.apangea.clone).unwrap();
    std::fs::remove_dir_all(&s.release.lesson.clone).unwrap();
}

#[tokio::test]
async fn a_wiped_workspace_is_recloned_into_workdir_and_deploys() {
    let s = World::new(false).await;
    in_workdir(&s);
    let mut cmd = s.gatekeeper(&["deploy", "production", "--yes"]);
    // A fresh clone has no identity of its own to merge with.
    cmd.env("GIT_AUTHOR_NAME", "CI")
        .env("GIT_AUTHOR_EMAIL", "ci@example.com")
        .env("GIT_COMMITTER_NAME", "CI")
        .env("GIT_COMMITTER_EMAIL", "ci@example.com");
    let (code, stdout, stderr) = run(&mut cmd);
    assert_exit!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let clones = s.release.work.join("clones");
    assert!(clones.join("apangea/.git").is_dir() && clones.join("lesson-content/.git").is_dir());
    assert!(
        stderr.contains("cloned thinkthroughmath/apangea from"),
        "{stderr}"
    );
    // The fresh app clone was given the deploy remote, and production moved.
    assert_eq!(
        s.release.deploy_head(),
        s.release.apangea.origin_head("master")
    );
    assert_ne!(s.release.deploy_head(), s.release.production_sha);
}

#[tokio::test]
async fn a_dry_run_says_what_it_would_clone_and_clones_nothing() {
    let s = World::new(false).await;
    in_workdir(&s);
    let (code, _stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--dry-run"]));
    assert_exit!(code, 0, "{stderr}");
    assert!(
        stderr.contains("would clone thinkthroughmath/apangea from"),
        "{stderr}"
    );
    assert!(!s.release.work.join("clones").exists());
    assert_eq!(
        rev(&s.release.deploy_remote, "master"),
        s.release.production_sha
    );
}

#[tokio::test]
async fn a_missing_clone_is_diagnosed_with_the_clone_to_run() {
    let s = World::new(false).await;
    std::fs::remove_dir_all(&s.release.apangea.clone).unwrap();
    let (code, _stdout, stderr) = run(&mut s.gatekeeper(&["deploy", "production", "--yes"]));
    assert_exit!(code, 2, "{stderr}");
    assert!(
        stderr.contains("the local clone of thinkthroughmath/apangea is missing at")
            // The default clone URL is the repo on the GitHub host of `[github] url`.
            && stderr.contains("`git clone http://127.0.0.1:")
            && stderr.contains("/thinkthroughmath/apangea.git "),
        "{stderr}"
    );
    assert!(!stderr.contains("install it"), "{stderr}");
    assert!(s.ttmscalr().is_empty());
}
