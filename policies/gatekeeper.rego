# The decision: one check per line of the deploy runbook, assembled here.
# The shape of `decision` is gatekeeper's contract (docs/decision.md); the facts in
# `input` are documented in FACTS.md beside this file.
#
# Every check passes only on positive evidence: its `*_pass` rule (default false)
# must hold, and no failure reason may exist. A failure-reason set explains a fail;
# its absence never makes a pass. Values are compared only after their type is checked
# (Rego orders across types: 17250 < "15000" is true).
package gatekeeper

import data.gatekeeper.settings

decision := {
	"target": input.target,
	"allow": allow,
	"downtime": downtime,
	"evaluated_at": input.now,
	"checks": checks,
}

check_ids := [
	"tests",
	"release_dependencies",
	"approval",
	"throughput",
	"teaching_hours",
	"downtime_notice",
	"freeze",
	"no_open_incident",
]

# In the order the runbook reads them.
checks := [with_advisory(with_override(c)) | some c in [
	check_tests,
	check_release_dependencies,
	check_approval,
	check_throughput,
	check_teaching_hours,
	check_downtime_notice,
	check_freeze,
	check_no_open_incident,
]]

# Allowed exactly when every check passed, was skipped, or failed and a person overrode it.
default allow := false

allow if {
	[c.id | some c in checks] == check_ids
	every c in checks {
		clears(c)
	}
}

clears(c) if c.status == "pass"

clears(c) if c.status == "skip"

# An advisory check (settings `advisory`) is shown, and never counts towards a deny.
clears(c) if {
	c.status == "fail"
	c.advisory == true
}

clears(c) if {
	c.status == "fail"
	is_object(c.overridden)
}

# Each check's title; a check builds only its own (a check is evaluated alone when
# `gatekeeper window` searches the calendar).
title("tests") := "Tests pass on Jenkins for the release head"

title("release_dependencies") := "Release-note dependencies met"

title("approval") := "Release pull requests approved"

title("throughput") := sprintf("New Relic throughput under %v rpm", [settings.throughput_limit_rpm])

title("teaching_hours") := "Window outside live teaching hours"

title("downtime_notice") := sprintf("Downtime notice sent %v h ahead and vetted", [settings.notice_lead_hours])

title("freeze") := "No deploy freeze"

title("no_open_incident") := sprintf(
	"No open New Relic issue of priority %s",
	[concat(" or ", incident_priorities_shown)],
)

# What a pass claims, for the reason given when neither the claim nor a failure holds.
claims := {
	"tests": "every release repo's Jenkins build of the release head passed",
	"release_dependencies": "every release pull request's dependencies are met",
	"approval": "an approver approved the head of every release pull request",
	"throughput": "New Relic throughput is under the limit",
	"teaching_hours": "the window lies outside live teaching hours",
	"downtime_notice": "a vetted downtime notice covers the window",
	"freeze": "the window is outside every freeze",
	"no_open_incident": "no New Relic issue of a blocking priority is open on the app",
}

# A deploy needs downtime unless the facts show it does not: no migrations pending in
# any repo (unknown migrations count as pending), no release pull request labelled
# `downtime`, and no person asked for downtime.
default downtime := true

downtime := false if {
	input.downtime_requested == false
	is_array(input.repos)
	every repo in input.repos {
		no_migrations(repo)
		not labelled_downtime(repo)
	}
}

no_migrations(repo) if {
	is_array(repo.migrations)
	count(repo.migrations) == 0
}

# GitHub label names are case-insensitive: `Downtime` is the same label.
labelled_downtime(repo) if {
	is_array(repo.pull_requests)
	some pr in repo.pull_requests
	is_array(pr.labels)
	some label in pr.labels
	is_string(label)
	lower(trim_space(label)) == "downtime"
}

# Pull requests or labels that cannot be read could hide the label.
labelled_downtime(repo) if not prs_readable(repo)

labelled_downtime(repo) if {
	is_array(repo.pull_requests)
	some pr in repo.pull_requests
	not labels_readable(pr)
}

# --- guards over facts that may be absent ---
# `not is_array(x.missing)` is true in regorus but undefined in OPA (the undefined
# argument makes the call undefined before `not` applies), so a guard negates a
# helper rule instead: `not prs_readable(repo)` is true in both when the field is
# absent. `gatekeeper policy check` warns about the other form.

prs_readable(repo) if is_array(repo.pull_requests)

labels_readable(pr) if is_array(pr.labels)

reviews_readable(pr) if is_array(pr.reviews)

release_sha_known(repo) if is_string(repo.release_sha)

behind_by_known(repo) if is_number(repo.behind_by)

migrations_known(repo) if is_array(repo.migrations)

notices_readable(inp) if is_array(inp.notices)

# --- helpers shared by the checks ---

# A check from its positive rule and the reasons it fails, one a line: pass only when
# `passed` is true and there is no reason; else fail with the reasons, or, when there
# are none, with "no evidence that …".
result(id, passed, failures, pass_detail, evidence) := r if {
	passed == true
	count(failures) == 0
	r := check_object(id, "pass", pass_detail, evidence)
} else := r if {
	count(failures) > 0
	r := check_object(id, "fail", concat("\n", failures), evidence)
} else := check_object(id, "fail", sprintf("no evidence that %s", [claims[id]]), evidence)

check_object(id, status, detail, evidence) := {
	"id": id,
	"title": title(id),
	"status": status,
	"detail": detail,
	"evidence": evidence,
}

skipped(id, why) := check_object(id, "skip", why, {})

# A failing, overridable check that a person overrode carries who and why.
with_override(c) := object.union(c, {"overridden": {"reason": o.reason, "by": o.by}}) if {
	c.status == "fail"
	c.id in settings.overridable
	some o in input.overrides
	o.check == c.id
} else := c

# A check the settings list as `advisory` says so; the settings may leave it out.
with_advisory(c) := object.union(c, {"advisory": true}) if {
	some id in settings.advisory
	id == c.id
} else := c

# Why a source's facts are missing, from the errors the collector recorded.
source_reason(source) := repo_reason(source, null)

# The same for one repo: its own errors and those about no repo in particular.
repo_reason(source, repo) := concat("; ", msgs) if {
	msgs := [sprintf("%s: %s", [e.source, e.message]) |
		some e in input.errors
		e.source == source
		object.get(e, "repo", repo) == repo
	]
	count(msgs) > 0
} else := sprintf("%s facts are missing and no error was recorded", [source])

# Why one fact of a repo is missing: the errors recorded about that fact (`fact`),
# else every error about the repo (facts recorded without `fact`).
fact_reason(source, repo, fact) := concat("; ", msgs) if {
	msgs := [sprintf("%s: %s", [e.source, e.message]) |
		some e in input.errors
		e.source == source
		object.get(e, "repo", repo) == repo
		object.get(e, "fact", fact) == fact
	]
	count(msgs) > 0
} else := repo_reason(source, repo)

# Why a top-level fact (`throughput`, `incidents`) is missing: the source's errors
# about no repo that name that fact or no fact at all.
top_reason(source, fact) := concat("; ", msgs) if {
	msgs := [sprintf("%s: %s", [e.source, e.message]) |
		some e in input.errors
		e.source == source
		object.get(e, "repo", null) == null
		object.get(e, "fact", fact) == fact
	]
	count(msgs) > 0
} else := sprintf("%s facts are missing and no error was recorded", [source])

short(sha) := substring(sha, 0, 7) if {
	is_string(sha)
} else := "no commit"

# The release repos, when the facts list at least one.
has_repos if {
	is_array(input.repos)
	count(input.repos) > 0
}

no_repos_reason := "the facts list no release repos: add [[targets.TARGET.repos]] to the config"

# The repos' open release pull requests, when every repo has at least one.
has_release_prs(repo) if {
	is_array(repo.pull_requests)
	count(repo.pull_requests) > 0
}

is_collection(x) if is_array(x)

is_collection(x) if is_set(x)

# The fixed English weekday names the facts and the settings use.
weekdays := ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# An ISO local date, YYYY-MM-DD: such strings order like the dates they name.
is_date(s) if {
	is_string(s)
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`, s)
}

# Minutes after midnight of "HH:MM" (00:00 to 24:00). The "1" prefix keeps to_number
# off leading zeros, which engines parse differently ("07" is not a JSON number).
hhmm_minutes(s) := minutes if {
	is_string(s)
	regex.match(`^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$`, s)
	parts := split(s, ":")
	hours := to_number(concat("", ["1", parts[0]])) - 100
	minutes := (hours * 60) + (to_number(concat("", ["1", parts[1]])) - 100)
}
