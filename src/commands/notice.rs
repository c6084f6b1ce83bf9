//! `gatekeeper notice TARGET …`: prints the downtime e-mail and the notice issue, and
//! with `--create` opens the issue. The lead time comes from the policies' settings
//! (`notice_lead_hours`), so a release manager changes it in one place. Before
//! drafting it asks the gate: a window the policies would deny on the day, even with
//! this notice sent now and vetted (teaching hours, a freeze), is refused with exit 1,
//! the reasons and the next allowed starts, unless `--force`.

use chrono::Utc;

use crate::cli::NoticeArgs;
use crate::gate::{self, Gate};
use crate::notice::issue::{self, IssueError};
use crate::notice::{self, Announcement, Mailing};
use crate::planner::{self, Query};
use crate::render::notice::{self as render, SEARCH_DAYS};

use super::window::plan_error;
use super::{CommandError, EXIT_FAIL, EXIT_OK, print};

pub fn run(args: NoticeArgs) -> Result<super::Outcome, CommandError> {
    // The gate's inputs, resolved once: the config (required) and the policies.
    let mut gate = Gate::resolve(&gate::Case {
        target: &args.target,
        config: &args.config.config,
        policies: args.config.policies.as_deref(),
        facts_file: None,
        planned: gate::Planned::default(),
        overrides: &[],
        reason: None,
        by: None,
        no_config: false,
        verbose: args.config.verbose,
    })?;
    let config = gate.config().cloned().ok_or_else(|| {
        CommandError::Usage("notice needs a config: pass --config FILE".to_owned())
    })?;
    let target = config.target(&args.target)?;
    // No built-in recipient: a notice goes where the team says.
    let notice_to = target.notice_to.as_deref().ok_or_else(|| {
        CommandError::Usage(format!(
            "targets.{name}.notice_to is not set in {config}, so the downtime e-mail has no recipient; \
             add notice_to = \"ADDRESS\" (and notice_cc = [\"ADDRESS\", …] for copies) under [targets.{name}]",
            name = args.target,
            config = config.path.display()
        ))
    })?;
    let tz = config.tz();
    let policies = gate.policies_mut();
    // Validated when the policies loaded: read once, typed, from there.
    let settings = planner::read_settings(policies).map_err(plan_error)?;
    let lead_hours = settings.notice_lead.num_hours() as f64;
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
    let settings_vetters = settings.vetters.clone();
    let facts = planner::announced_facts(&args.target, now, tz, start, args.minutes);
    let failing =
        planner::failing_for_notice_sent_now(policies, &facts, &settings).map_err(plan_error)?;
    if let Some(path) = &args.html {
        let window = (start, args.minutes);
        let html =
            render::calendar(policies, &facts, tz, window, settings.clone()).map_err(plan_error)?;
        let audit = super::record::audit_log(&config).path().to_owned();
        super::write_file(path, &html, Some(&audit))?;
    }
    if !failing.is_empty() && !args.force {
        let query = Query {
            tz,
            minutes: args.minutes,
            days: SEARCH_DAYS,
            settings,
        };
        let plan = planner::search(policies, &facts, &query).map_err(plan_error)?;
        print(&render::refusal(
            &args.target,
            start,
            args.minutes,
            tz,
            &failing,
            &plan,
        ));
        return Ok(EXIT_FAIL);
    }
    let gate_warning = (!failing.is_empty()).then(|| notice::GateWarning {
        reasons: failing
            .iter()
            .flat_map(|c| c.detail.lines().map(|l| format!("{}: {l}", c.id)))
            .collect(),
    });
    let announcement = Announcement {
        target: &args.target,
        start,
        minutes: args.minutes,
        nature: &args.nature,
        affected: &args.affected,
        experience: &args.experience,
    };
    let context = Mailing {
        now,
        tz,
        lead_hours,
        to: notice_to,
        cc: &target.notice_cc,
        vetters: &settings_vetters,
        gate_warning: gate_warning.as_ref(),
    };
    let draft = notice::draft(&announcement, &context)?;

    print(&render::draft(&draft, &target.notices_repo));
    if !args.create {
        return Ok(EXIT_OK);
    }

    match issue::open(
        &config,
        &target.notices_repo,
        &draft.issue_title,
        &draft.issue_body,
    ) {
        Ok((number, url)) => {
            print(&format!(
                "\nOpened notice #{number}: {url}\nIt counts once a vetter comments /proceed on it.\n"
            ));
            Ok(EXIT_OK)
        }
        Err(e @ IssueError::Refused { .. }) => {
            eprintln!("gatekeeper: error: {e}");
            Ok(EXIT_FAIL)
        }
        Err(IssueError::Runtime(e)) => Err(CommandError::Runtime(e)),
        Err(e) => Err(CommandError::Usage(e.to_string())),
    }
}
