//! Jenkins: the last completed build of each release repo's job, and which commit of
//! that repo it built. Owns the Jenkins URLs and field paths; never judges whether a
//! build is good enough (the policy does).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::facts::CiBuild;
use crate::net::{Call, Credential, HttpError, Service, Transport};

/// The `_class` of the action that records a git checkout.
const BUILD_DATA: &str = "hudson.plugins.git.util.BuildData";
/// What to ask for: only the fields read below.
const TREE: &str = "building,inProgress,result,number,timestamp,url,actions[_class,lastBuiltRevision[SHA1],remoteUrls]";

#[derive(Debug, thiserror::Error)]
pub enum JenkinsError {
    #[error("{0}")]
    Http(#[from] HttpError),
    #[error("jenkins.url {url:?} cannot be joined with job {job:?}: {message}")]
    Url {
        url: String,
        job: String,
        message: String,
    },
    #[error("{url} did not answer a Jenkins build: {message}")]
    Parse { url: String, message: String },
}

/// `{base}/job/{a}/job/{b}/lastCompletedBuild/api/json`, each segment encoded.
pub fn build_url(base: &str, job: &str) -> Result<reqwest::Url, JenkinsError> {
    let err = |message: &str| JenkinsError::Url {
        url: base.to_owned(),
        job: job.to_owned(),
        message: message.to_owned(),
    };
    let mut url = reqwest::Url::parse(base).map_err(|e| err(&e.to_string()))?;
    {
        let mut segments = url
            .path_segments_mut()
            .map_err(|()| err("it cannot have a path"))?;
        segments.pop_if_empty().push("job");
        segments.extend(job.split('/').filter(|s| !s.is_empty()));
        segments.extend(["lastCompletedBuild", "api", "json"]);
    }
    Ok(url)
}

/// The URL as shown in messages: no query, no user or password.
pub fn shown(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// The last completed build of `job`, with the commit of `repo` it built.
/// `auth` is the basic-auth credential for the Jenkins origin, when one is set.
pub async fn last_build(
    transport: &Transport,
    base: &str,
    auth: Option<&Credential>,
    repo: &str,
    job: &str,
) -> Result<CiBuild, JenkinsError> {
    let mut url = build_url(base, job)?;
    let shown = shown(&url);
    url.query_pairs_mut().append_pair("tree", TREE);
    let answer = transport
        .send(Call::get(Service::Jenkins, url, auth), &shown)
        .await?
        .require_ok(
            &shown,
            "check jenkins.user and the token in the variable jenkins.token_env names",
        )?;
    parse_build(&answer.body, repo).map_err(|message| JenkinsError::Parse {
        url: shown,
        message,
    })
}

/// Reads a `lastCompletedBuild/api/json` answer. The built commit is the
/// `lastBuiltRevision` of the BuildData action whose `remoteUrls` name `repo`
/// ("owner/name"): a pipeline records one BuildData per checkout.
pub fn parse_build(text: &str, repo: &str) -> Result<CiBuild, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let number = v
        .get("number")
        .and_then(Value::as_u64)
        .ok_or("no build \"number\"")?;
    let url = v
        .get("url")
        .and_then(Value::as_str)
        .ok_or("no build \"url\"")?;
    // A Jenkins root URL with `user:token@` makes every build URL carry the token.
    let url = reqwest::Url::parse(url).map_or_else(|_| url.to_owned(), |u| shown(&u));
    let result = v.get("result").and_then(Value::as_str).map(str::to_owned);
    // Whether the build still runs must be said: a missing flag is no "finished".
    let building = v
        .get("building")
        .and_then(Value::as_bool)
        .ok_or("no \"building\" flag: whether the build has finished is unknown")?
        || v.get("inProgress")
            .and_then(Value::as_bool)
            .unwrap_or(false);
    let started_at = v
        .get("timestamp")
        .and_then(Value::as_i64)
        .and_then(DateTime::<Utc>::from_timestamp_millis);
    let sha = v
        .get("actions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|a| a.get("_class").and_then(Value::as_str) == Some(BUILD_DATA))
        .find(|a| {
            a.get("remoteUrls")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .any(|remote| names_repo(remote, repo))
        })
        .and_then(|a| a.pointer("/lastBuiltRevision/SHA1"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(CiBuild {
        number,
        result,
        building,
        sha,
        url,
        started_at,
    })
}

/// Whether a git remote URL (https, ssh or scp-like) is the GitHub repo "owner/name".
pub fn names_repo(remote: &str, repo: &str) -> bool {
    let remote = remote.trim().trim_end_matches('/').to_ascii_lowercase();
    let remote = remote.strip_suffix(".git").unwrap_or(&remote);
    let repo = repo.to_ascii_lowercase();
    remote == repo || remote.ends_with(&format!("/{repo}")) || remote.ends_with(&format!(":{repo}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/fixtures/api/jenkins/{rel}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn picks_the_build_data_of_the_repo_among_several() {
        // The shared library's checkout comes first in this answer.
        let b = parse_build(&fixture("apangea-rc.json"), "thinkthroughmath/apangea").unwrap();
        assert_eq!(b.number, 1187);
        assert_eq!(b.result.as_deref(), Some("SUCCESS"));
        assert!(!b.building);
        assert_eq!(
            b.sha.as_deref(),
            Some("3f2a9c1e8b7d6a5f4e3d2c1b0a99887766554433")
        );
        assert_eq!(
            b.started_at.unwrap().to_rfc3339(),
            "2026-11-24T16:10:00+00:00"
        );
        let b = parse_build(
            &fixture("lesson-content-rc.json"),
            "thinkthroughmath/lesson-content",
        )
        .unwrap();
        assert_eq!(
            b.sha.as_deref(),
            Some("5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c")
        );
    }

    #[test]
    fn no_checkout_of_the_repo_means_no_sha() {
        let b = parse_build(&fixture("apangea-rc.json"), "thinkthroughmath/other").unwrap();
        assert_eq!(b.sha, None);
    }

    #[test]
    fn a_running_build_reads_building_and_null_result() {
        let b = parse_build(
            &fixture("lesson-content-rc-building.json"),
            "thinkthroughmath/lesson-content",
        )
        .unwrap();
        assert!(b.building);
        assert_eq!(b.result, None);
    }

    #[test]
    fn html_and_truncated_answers_are_errors() {
        assert!(parse_build(&fixture("404.html"), "o/r").is_err());
        let text = fixture("apangea-rc.json");
        assert!(parse_build(&text[..text.len() / 2], "o/r").is_err());
    }

    #[test]
    fn remote_urls_in_every_form_name_the_repo() {
        for remote in [
            "git@github.com:thinkthroughmath/apangea.git",
            "https://github.com/ThinkThroughMath/apangea",
            "https://github.com/thinkthroughmath/apangea.git/",
            "ssh://git@github.com/thinkthroughmath/apangea.git",
        ] {
            assert!(names_repo(remote, "thinkthroughmath/apangea"), "{remote}");
        }
        assert!(!names_repo(
            "https://github.com/thinkthroughmath/apangea-lib.git",
            "thinkthroughmath/apangea"
        ));
        assert!(!names_repo(
            "https://github.com/other/thinkthroughmath/apangea-x",
            "thinkthroughmath/apangea"
        ));
    }

    #[test]
    fn folder_jobs_and_base_paths_join() {
        let url = build_url("https://j.example.com:8080/ci/", "lesson-content/job/rc").unwrap();
        assert_eq!(
            url.as_str(),
            "https://j.example.com:8080/ci/job/lesson-content/job/rc/lastCompletedBuild/api/json"
        );
        let url = build_url("https://j.example.com", "my job").unwrap();
        assert_eq!(
            url.as_str(),
            "https://j.example.com/job/my%20job/lastCompletedBuild/api/json"
        );
    }
}
