# The settings a release manager changes. Edit a value here and the next
# `gatekeeper check` uses it; no rebuild. Run `gatekeeper policy check` after.
# gatekeeper validates every key before any evaluation (README, "The settings
# schema"): numbers unquoted, times "HH:MM", weekdays "Monday" … "Sunday", dates
# "YYYY-MM-DD". A key added, removed or misspelled stops every command (exit 2).
package gatekeeper.settings

# New Relic throughput must be strictly under this many requests per minute.
throughput_limit_rpm := 15000

# A downtime notice must be sent at least this many hours before its announced start.
notice_lead_hours := 72

# GitHub logins whose approval releases a pull request.
approvers := ["tim"]

# GitHub logins who vet a downtime notice by commenting `/proceed`
# (a later `/reschedule` from one of them withdraws it).
vetters := ["tim", "jim"]

# Sections of a release pull request's notes whose unticked task items do not
# hold up a deploy (a heading, a `<details>` summary or a bold label naming
# them, any case). Every other unticked task item fails release_dependencies.
non_blocking_sections := ["QA"]

# Live teaching hours, in the local time of the configured zone (config `timezone`).
# A downtime window must lie wholly outside them.
teaching_days := ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

teaching_start := "07:00"

teaching_end := "21:00"

# Local dates (YYYY-MM-DD) with no live teaching: teaching_hours does not apply on them.
# Example: {"2026-11-26", "2026-12-25"}
holidays := set()

# Ranges of local dates (inclusive) in which no deploy may run at all.
# Example: {"from": "2027-04-12", "to": "2027-04-23", "reason": "state testing weeks"}
freezes := []

# New Relic issue priorities (CRITICAL, HIGH, MEDIUM, LOW) that, open on the app,
# block a deploy (check no_open_incident).
incident_priorities := {"CRITICAL", "HIGH"}

# The guard after a deploy (gatekeeper.toml `[guard]`) fails when, in any sampled
# minute, the error rate is more than this many percentage points above the baseline
# (the last guard.baseline_minutes before the deploy)...
guard_error_rate_rise_points := 2

# ...or the apdex score is more than this below the baseline's.
guard_apdex_drop := 0.05

# Checks that `--override CHECK --reason "…"` may override (break-glass).
# Never add tests or approval.
overridable := {"throughput", "teaching_hours", "no_open_incident"}

# Checks that are evaluated and shown as advisory, and never count towards a deny
# (to try a check out before it gates). Never tests or approval. Optional.
advisory := set()
