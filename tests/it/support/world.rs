//! The one test world: real git on throw-away repos (`support::git`), the stand-in
//! services describing them (`support::server`, `support::release`), a config, the
//! recording `ttmscalr` stand-in first on PATH, and the machines that deploy from it.
//! Every command a test runs in it goes through [`crate::support::binary_in`], so
//! through the one clean environment.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

use crate::support::git::{Release, git, ttmscalr_runs, ttmscalr_stand_in};
use crate::support::release::{
    ReleaseShape, mount_production_mirror, mount_production_mirror_blocking, mount_release,
    zone_at_night,
};
use crate::support::server::{self, Services};

/// The ref of the production lock on the deploy remote.
pub const LOCK_REF: &str = "refs/gatekeeper/locks/production";

pub struct World {
    tmp: tempfile::TempDir,
    pub release: Release,
    pub services: Services,
    /// `ROOT/work/gatekeeper.toml`, the config of the first machine.
    pub config: PathBuf,
    /// PATH with the `ttmscalr` stand-in first.
    pub path_env: String,
    /// Where the stand-in records its runs.
    pub ttmscalr_log: PathBuf,
    /// The first machine's audit log.
    pub audit: PathBuf,
    /// The file a `TTMSCALR_WAIT` step waits for (see [`held_deploy`]).
    pub gate: PathBuf,
    pub apangea_rc: String,
    pub lesson_rc: String,
}

impl World {
    /// Repos, services describing them (GitHub's copy of production follows the
    /// deploy remote, as it does for real), and a config in `ROOT/work`.
    pub async fn new(migrations: bool) -> World {
        Self::with_config(migrations, |_| {}).await
    }

    /// Like `new`, with `edit` changing the config text before it is written.
    pub async fn with_config(migrations: bool, edit: impl FnOnce(&mut String)) -> World {
        let tmp = tempfile::tempdir().unwrap();
        let release = Release::new(tmp.path());
        let services = server::start_green().await;
        mount_release(
            &services,
            &ReleaseShape {
                apangea_sha: &release.apangea.origin_head("rc"),
                lesson_sha: &release.lesson.origin_head("rc"),
                migrations,
            },
        )
        .await;
        mount_production_mirror(&services, &release.deploy_remote).await;
        let config = services.write_config_with(&release.work, |text| {
            if migrations {
                // On the real clock, it is night in this zone: outside teaching hours.
                *text = text.replace("America/New_York", &zone_at_night());
            }
            edit(text);
        });
        Self::around(tmp, release, services, config)
    }

    /// Repos and a config without a release described (rollback, history and the
    /// lock need none), for tests without a runtime: the services answer only the
    /// smoke URL and GitHub's copy of production.
    pub fn offline() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let release = Release::new(tmp.path());
        let services = Services::green_blocking();
        services.answer_blocking("/up", wiremock::ResponseTemplate::new(200));
        mount_production_mirror_blocking(&services, &release.deploy_remote);
        let config = services.write_config(&release.work);
        Self::around(tmp, release, services, config)
    }

    fn around(
        tmp: tempfile::TempDir,
        release: Release,
        services: Services,
        config: PathBuf,
    ) -> World {
        let (path_env, ttmscalr_log) = ttmscalr_stand_in(tmp.path());
        World {
            audit: release.work.join(".gatekeeper/audit.jsonl"),
            gate: tmp.path().join("gate"),
            apangea_rc: release.apangea.origin_head("rc"),
            lesson_rc: release.lesson.origin_head("rc"),
            tmp,
            release,
            services,
            config,
            path_env,
            ttmscalr_log,
        }
    }

    /// The throw-away directory everything lives in.
    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// The machine of the release's own clones and the world's config.
    pub fn machine(&self) -> Machine {
        Machine {
            work: self.release.work.clone(),
            config: self.config.clone(),
        }
    }

    /// Another machine in `ROOT/name`: fresh clones of the same origins, knowing the
    /// same deploy remote, a copy of the world's config, its own audit log.
    pub fn another_machine(&self, name: &str) -> Machine {
        let root = self.dir().join(name);
        std::fs::create_dir_all(root.join("work")).unwrap();
        for (repo, origin) in [
            ("apangea", &self.release.apangea.origin),
            ("lesson-content", &self.release.lesson.origin),
        ] {
            let clone = root.join(repo);
            git(
                &root,
                &[
                    "clone",
                    "-q",
                    origin.to_str().unwrap(),
                    clone.to_str().unwrap(),
                ],
            );
            git(&clone, &["config", "user.name", "Laptop User"]);
            git(&clone, &["config", "user.email", "laptop@example.com"]);
        }
        git(
            &root.join("apangea"),
            &[
                "remote",
                "add",
                "aws-production",
                self.release.deploy_remote.to_str().unwrap(),
            ],
        );
        let config = root.join("work/gatekeeper.toml");
        std::fs::copy(&self.config, &config).unwrap();
        Machine {
            work: root.join("work"),
            config,
        }
    }

    /// What a child run in this world is given back after the clean environment:
    /// the services' tokens, the stand-in on PATH and its log, no system git
    /// config, and `user` as the login.
    pub fn env<'a>(
        &self,
        cmd: &'a mut std::process::Command,
        user: &str,
    ) -> &'a mut std::process::Command {
        cmd.envs(Services::env())
            .env("PATH", &self.path_env)
            .env("TTMSCALR_LOG", &self.ttmscalr_log)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("USER", user)
    }

    /// `gatekeeper ARGS --config CONFIG` on `machine` as `user`, as a plain process.
    pub fn binary(&self, machine: &Machine, user: &str, args: &[&str]) -> std::process::Command {
        let mut cmd = crate::support::binary_in(&machine.work);
        cmd.args(args).arg("--config").arg(&machine.config);
        self.env(&mut cmd, user);
        cmd
    }

    /// `program` (`script`, `bash`: what wraps the binary) on `machine` as `user`,
    /// in the clean environment with the world's variables.
    pub fn program(&self, program: &str, machine: &Machine, user: &str) -> std::process::Command {
        let mut cmd = crate::support::program_in(program, &machine.work);
        self.env(&mut cmd, user);
        cmd
    }

    /// `gatekeeper ARGS --config CONFIG` on `machine` as `user`.
    pub fn on(&self, machine: &Machine, user: &str, args: &[&str]) -> Command {
        Command::from_std(self.binary(machine, user, args))
    }

    /// `gatekeeper ARGS --config CONFIG` on `machine` as `user`, which must exit
    /// with `code`: what it printed, stdout then stderr.
    #[track_caller]
    pub fn said(&self, machine: &Machine, user: &str, args: &[&str], code: i32) -> String {
        let out = self.on(machine, user, args).output().unwrap();
        crate::support::check_exit(&out, code, format_args!("{args:?}"));
        printed(&out)
    }

    /// `gatekeeper ARGS --config CONFIG` on the first machine, as `tester`.
    pub fn gatekeeper(&self, args: &[&str]) -> Command {
        self.on(&self.machine(), "tester", args)
    }

    /// `gatekeeper ARGS --config CONFIG` on the first machine as `tester`, run:
    /// exit code, stdout, stderr.
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        run(&mut self.gatekeeper(args))
    }

    pub fn ttmscalr(&self) -> Vec<String> {
        ttmscalr_runs(&self.ttmscalr_log)
    }

    /// The first machine's audit records.
    pub fn audit(&self) -> Vec<Value> {
        audit_records(&self.audit)
    }
}

/// One machine: its own clones of the release repos, its own config and audit log.
pub struct Machine {
    pub work: PathBuf,
    pub config: PathBuf,
}

impl Machine {
    pub fn audit(&self) -> String {
        std::fs::read_to_string(self.work.join(".gatekeeper/audit.jsonl")).unwrap_or_default()
    }
}

/// A deploy by `jenkins` on `machine`, started in the background, that stops inside
/// `ttmscalr deploy` until the world's gate file exists, holding the lock.
pub fn held_deploy(world: &World, machine: &Machine) -> Child {
    let mut cmd = world.binary(machine, "jenkins", &["deploy", "production", "--yes"]);
    cmd.env("TTMSCALR_WAIT", "deploy")
        .env("TTMSCALR_GATE", &world.gate)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    // Bounded wait: the stand-in says when `ttmscalr deploy` runs.
    let waiting = world.gate.with_extension("waiting");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !waiting.exists() {
        assert!(
            Instant::now() < deadline,
            "the first deploy never reached its deploy step"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// The object the deploy remote's lock ref points at, if there is a lock.
pub fn lock_on(remote: &Path) -> Option<String> {
    let out = git(
        remote,
        &["for-each-ref", "--format=%(objectname)", LOCK_REF],
    );
    (!out.is_empty()).then_some(out)
}

/// Plants a lock on the deploy remote as a `deploy` run would have taken it: `who`
/// is its `user:`, `host:` and `pid:` lines, `age` how long ago it started, `rest`
/// the lines after `started_at:` (`run_id:`, …). Returns the lock commit.
pub fn plant_lock(release: &Release, who: &str, age: chrono::Duration, rest: &str) -> String {
    let remote = &release.deploy_remote;
    let tree = git(remote, &["hash-object", "-t", "tree", "-w", "/dev/null"]);
    let started = (chrono::Utc::now() - age).to_rfc3339();
    let message = format!(
        "gatekeeper lock for production\n\ncommand: deploy\n{who}started_at: {started}\n{rest}"
    );
    let sha = git(remote, &["commit-tree", &tree, "-m", &message]);
    git(remote, &["update-ref", LOCK_REF, &sha]);
    sha
}

pub fn audit_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// What `out` printed: stdout, then stderr.
pub fn printed(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `cmd`: exit code, stdout, stderr.
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The last record of `kind`.
pub fn last_of<'a>(records: &'a [Value], kind: &str) -> &'a Value {
    records
        .iter()
        .rev()
        .find(|r| r["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} record in {records:#?}"))
}
