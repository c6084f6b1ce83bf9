//! `gatekeeper notice TARGET …`: prints the downtime e-mail and the notice issue, and
//! with `--create` opens the issue. The lead time comes from the policies' settings
//! (`notice_lead_hours`), so a release manager changes it in one place.

use chrono::Utc;

use crate::cli::NoticeArgs;
use crate::config::Config;
use crate::notice::{self, Announcement, Context, LABEL};
use crate::policy::PolicySet;
use crate::sources::{
    self,
    http::{self, Env, Policy, Transport},
};

use super::{CommandError, EXIT_FAIL, EXIT_OK, print};

pub fn run(args: NoticeArgs) -> Result<super::Outcome, CommandError> {
    let config = Config::load(&args.config.config)?;
    let target = config.target(&args.target)?;
    let tz = config.tz();
    let dir = Config::policy_dir(Some(&config), args.config.policies.as_deref());
    let mut policies = PolicySet::load(&dir, false)?;
    let lead_hours = policies
        .setting("notice_lead_hours")?
        .and_then(|v| v.as_f64())
        .ok_or_else(|| {
            CommandError::Usage(format!(
                "the policies in {} set no number data.gatekeeper.settings.notice_lead_hours; add it to settings.rego",
                dir.display()
            ))
        })?;
    let now = args.at.map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let start = args.start.with_timezone(&Utc);
    let earliest = notice::earliest_start(now, lead_hours);
    if start < earliest && !args.force {
        return Err(CommandError::Usage(format!(
            "the start {} is less than {lead_hours} h away, so the notice would not meet the downtime_notice check; \
             the earliest start a notice sent now allows is {}; pick a later --start (see `gatekeeper window {} --downtime`) or pass --force to draft it anyway",
            notice::both(start, tz),
            notice::both(earliest, tz),
            args.target
        )));
    }
    let announcement = Announcement {
        target: &args.target,
        start,
        minutes: args.minutes,
        nature: &args.nature,
        affected: &args.affected,
        experience: &args.experience,
    };
    let context = Context {
        now,
        tz,
        lead_hours,
        to: &target.notice_to,
        cc: &target.notice_cc,
    };
    let draft =
        notice::draft(&announcement, &context).map_err(|e| CommandError::Usage(e.to_string()))?;

    let mut out = format!("To: {}\n", draft.to);
    if !draft.cc.is_empty() {
        out.push_str(&format!("Cc: {}\n", draft.cc.join(", ")));
    }
    out.push_str(&format!("Subject: {}\n\n{}", draft.subject, draft.email));
    out.push_str(&format!(
        "\n---- issue in {} (label {LABEL}) ----\nTitle: {}\n\n{}",
        target.notices_repo, draft.issue_title, draft.issue_body
    ));
    print(&out);
    if !args.create {
        return Ok(EXIT_OK);
    }

    let env: Env<'_> = &http::process_env;
    let missing = sources::missing_secrets(&config, env, &["github"]);
    if !missing.is_empty() {
        return Err(CommandError::Usage(format!(
            "--create needs every secret the config names, before any request:\n  - {}",
            missing.join("\n  - ")
        )));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CommandError::Runtime)?;
    // octocrab's client needs the runtime, even to be built.
    let created = runtime.block_on(async {
        // A missing token or [github] section is a config problem (exit 2), named.
        let transport = Transport::new(Policy::of(&config))
            .map_err(|e| CommandError::Usage(format!("--create: {e}")))?;
        let github = sources::github_client(&config, &transport, env)
            .map_err(|e| CommandError::Usage(format!("--create: {e}")))?;
        Ok::<_, CommandError>(
            github
                .create_issue(
                    &target.notices_repo,
                    &draft.issue_title,
                    &draft.issue_body,
                    &[LABEL],
                )
                .await,
        )
    })?;
    match created {
        Ok((number, url)) => {
            print(&format!(
                "\nOpened notice #{number}: {url}\nIt counts once a vetter comments /proceed on it.\n"
            ));
            Ok(EXIT_OK)
        }
        Err(e) => {
            let message = sources::redactor(&config, env).scrub(&e.to_string());
            eprintln!(
                "gatekeeper: error: GitHub did not open the notice issue in {}: {message}",
                target.notices_repo
            );
            Ok(EXIT_FAIL)
        }
    }
}
