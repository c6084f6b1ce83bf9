//! Makes the stand-in services (`support::server`) describe the throw-away repos of
//! `support::git`: every recorded answer that names a release head names the real SHA
//! of the repo's rc head instead, so that what the gate checks is what the runbook
//! merges. Also: migrations or not, a vetted downtime notice around the real clock,
//! and a smoke URL. Mounted ahead of the green answers; the server's API is unchanged.

#![allow(dead_code)]

use chrono::{Duration, Utc};
use wiremock::matchers::{path, path_regex};
use wiremock::{Mock, ResponseTemplate};

use super::server::{self, Services, fixture_text, paths};

/// The release heads in the recorded answers.
pub const FIXTURE_APANGEA_SHA: &str = "3f2a9c1e8b7d6a5f4e3d2c1b0a99887766554433";
pub const FIXTURE_LESSON_SHA: &str = "5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c";

/// What the release looks like to the services.
pub struct ReleaseShape<'a> {
    pub apangea_sha: &'a str,
    pub lesson_sha: &'a str,
    /// The app's compare adds migrations (so the decision needs downtime).
    pub migrations: bool,
}

fn json(text: String) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json; charset=utf-8")
        .set_body_string(text)
}

/// Mounts the answers that carry release SHAs, rewritten to `shape`'s SHAs.
pub async fn mount_release(services: &Services, shape: &ReleaseShape<'_>) {
    let rewrite = |rel: &str| {
        fixture_text(rel)
            .replace(FIXTURE_APANGEA_SHA, shape.apangea_sha)
            .replace(FIXTURE_LESSON_SHA, shape.lesson_sha)
    };
    let compare = if shape.migrations {
        "github/compare-apangea-migrations.json"
    } else {
        "github/compare-apangea.json"
    };
    for (at, rel) in [
        (paths::APANGEA_BRANCH, "github/branch-apangea-rc.json"),
        (paths::LESSON_BRANCH, "github/branch-lesson-content-rc.json"),
        (paths::JENKINS_APANGEA, "jenkins/apangea-rc.json"),
        (paths::JENKINS_LESSON, "jenkins/lesson-content-rc.json"),
    ] {
        services
            .mount(Mock::given(path(at)).respond_with(json(rewrite(rel))))
            .await;
    }
    for (repo, rel) in [
        (server::APANGEA, "github/graphql-release-apangea.json"),
        (server::LESSON, "github/graphql-release-lesson-content.json"),
    ] {
        services.set_release(repo, serde_json::from_str(&rewrite(rel)).unwrap());
        services.edit_release(repo, |answer| *answer = answer["data"]["r0"].take());
    }
    // The compare's path holds the SHAs: match any compare of each repo.
    services
        .mount(
            Mock::given(path_regex(r"/repos/thinkthroughmath/apangea/compare/"))
                .respond_with(json(rewrite(compare))),
        )
        .await;
    services
        .mount(
            Mock::given(path_regex(
                r"/repos/thinkthroughmath/lesson-content/compare/",
            ))
            .respond_with(json(rewrite("github/compare-lesson-content.json"))),
        )
        .await;
    services
        .mount(Mock::given(path("/up")).respond_with(ResponseTemplate::new(200)))
        .await;
}

/// A vetted downtime notice sent five days ago, announcing four hours from ten
/// minutes ago: a downtime deploy on the real clock is inside it.
pub async fn mount_vetted_notice_now(services: &Services) {
    services
        .answer_notices(json(vetted_notice_now().to_string()))
        .await;
}

/// The notices answer of [`mount_vetted_notice_now`].
pub fn vetted_notice_now() -> serde_json::Value {
    let now = Utc::now();
    let stamp = |d: chrono::DateTime<Utc>| d.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let notices = fixture_text("github/graphql-notices-vetted.json")
        .replace("2026-11-24T14:00:00Z", &stamp(now - Duration::days(5)))
        .replace(
            "Start: 2026-11-28T02:00:00-05:00",
            &format!("Start: {}", stamp(now - Duration::minutes(10))),
        )
        .replace("Length: 120 minutes", "Length: 240 minutes")
        .replace("2026-11-24T15:00:00Z", &stamp(now - Duration::days(4)))
        .replace("2026-11-24T15:10:00Z", &stamp(now - Duration::days(4)))
        .replace("2026-11-24T18:21:40Z", &stamp(now - Duration::days(3)));
    serde_json::from_str(&notices).unwrap()
}

/// A zone without daylight saving in which it is now about 22:00 on some day, so
/// that a downtime window of up to eight hours starting now lies outside live
/// teaching hours (07:00–21:00) on the real clock, whatever the day. A place's
/// name, as the config requires (`Etc/GMT±N` is refused there).
pub fn zone_at_night() -> String {
    use chrono::Timelike;
    // The places that keep one UTC offset all year, from UTC−10 to UTC+14.
    const BY_OFFSET: [&str; 25] = [
        "Pacific/Honolulu",
        "Pacific/Gambier",
        "Pacific/Pitcairn",
        "America/Phoenix",
        "America/Regina",
        "America/Panama",
        "America/Puerto_Rico",
        "America/Argentina/Buenos_Aires",
        "America/Noronha",
        "Atlantic/Cape_Verde",
        "Africa/Abidjan",
        "Africa/Lagos",
        "Africa/Johannesburg",
        "Asia/Riyadh",
        "Asia/Dubai",
        "Asia/Karachi",
        "Asia/Dhaka",
        "Asia/Bangkok",
        "Asia/Singapore",
        "Asia/Tokyo",
        "Australia/Brisbane",
        "Pacific/Guadalcanal",
        "Pacific/Tarawa",
        "Pacific/Fakaofo",
        "Pacific/Kiritimati",
    ];
    let hour = i64::from(Utc::now().hour());
    // Local hour = UTC hour + offset; want 22.
    let mut offset = (22 - hour).rem_euclid(24);
    if offset > 14 {
        offset -= 24;
    }
    let zone = BY_OFFSET[usize::try_from(offset + 10).unwrap()];
    let tz: chrono_tz::Tz = zone.parse().unwrap();
    let now = Utc::now().with_timezone(&tz);
    assert_eq!(
        chrono::Offset::fix(now.offset()).local_minus_utc(),
        i32::try_from(offset * 3600).unwrap(),
        "{zone} is no longer UTC{offset:+}"
    );
    zone.to_owned()
}

/// The production SHA in the recorded answers (aws-production's master).
pub const FIXTURE_PRODUCTION_SHA: &str = "aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00";

/// GitHub's copy of the deploy repo, answering with the bare deploy remote's
/// master at each request, as GitHub would for the repository the remote is.
struct DeployRemoteMirror {
    remote: std::path::PathBuf,
}

impl wiremock::Respond for DeployRemoteMirror {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let head = super::git::rev(&self.remote, "master");
        json(
            fixture_text("github/branch-aws-production-master.json")
                .replace(FIXTURE_PRODUCTION_SHA, &head),
        )
    }
}

/// Mounts the mirror of the deploy remote at `remote` (below the tests' own
/// overrides, above the green answers): the production SHAs of GitHub and of the
/// deploy remote agree, as they do when the config is right.
pub async fn mount_production_mirror(services: &Services, remote: &std::path::Path) {
    services
        .server()
        .register(
            Mock::given(path(paths::PRODUCTION_BRANCH))
                .respond_with(DeployRemoteMirror {
                    remote: remote.to_owned(),
                })
                .with_priority(2),
        )
        .await;
}

/// [`mount_production_mirror`] for tests without a runtime.
pub fn mount_production_mirror_blocking(services: &Services, remote: &std::path::Path) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(mount_production_mirror(services, remote));
}

/// Appends to the audit log at `log` the record of a deploy of production that
/// found `before` there and left `after`: the deploy history a rollback reads.
pub fn record_deploy(log: &std::path::Path, before: &str, after: &str) {
    use std::io::Write;
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    let line = serde_json::json!({
        "kind": "deploy", "time": "2026-11-24T19:00:00Z", "user": "tim", "host": "ops1",
        "target": "production", "command": "deploy", "decision": "allow",
        "before_sha": before, "after_sha": after, "outcome": "ok",
    });
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    writeln!(file, "{line}").unwrap();
}
