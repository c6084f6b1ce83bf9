# The decision: one check per line of the deploy runbook, assembled here.
# The shape of `decision` is gatekeeper's contract (docs/decision.md);
# the facts in `input` are documented in FACTS.md beside this file.
package gatekeeper

import data.gatekeeper.settings

decision := {
	"target": input.target,
	"allow": allow,
	"downtime": downtime,
	"evaluated_at": input.now,
	"checks": checks,
}

# In the order the runbook reads them.
checks := [with_override(c) | some c in [
	check_tests,
	check_release_dependencies,
	check_approval,
	check_throughput,
	check_teaching_hours,
	check_downtime_notice,
	check_freeze,
]]

# Allowed exactly when no check fails, except failures a person overrode.
default allow := false

allow if count([c | some c in checks; blocks(c)]) == 0

blocks(c) if {
	c.status == "fail"
	not c.overridden
}

titles := {
	"tests": "Tests pass on Jenkins for the release head",
	"release_dependencies": "Release-note dependencies met",
	"approval": "Release pull requests approved",
	"throughput": sprintf("New Relic throughput under %v rpm", [settings.throughput_limit_rpm]),
	"teaching_hours": "Window outside live teaching hours",
	"downtime_notice": sprintf("Downtime notice sent %v h ahead and vetted", [settings.notice_lead_hours]),
	"freeze": "No deploy freeze",
}

# A deploy needs downtime when migrations are pending, a release pull request is
# labelled `downtime`, or a person said so. Unknown migrations count as pending.
default downtime := false

downtime if input.downtime_requested == true

downtime if {
	some repo in input.repos
	count(repo.migrations) > 0
}

downtime if {
	some repo in input.repos
	not repo.migrations
}

downtime if {
	some repo in input.repos
	some pr in repo.pull_requests
	"downtime" in pr.labels
}

# --- helpers shared by the checks ---

# A check from the set of reasons it fails, one a line: pass when there are none.
result(id, failures, pass_detail, evidence) := r if {
	count(failures) > 0
	r := {"id": id, "title": titles[id], "status": "fail", "detail": concat("\n", failures), "evidence": evidence}
} else := {"id": id, "title": titles[id], "status": "pass", "detail": pass_detail, "evidence": evidence}

skipped(id, why) := {"id": id, "title": titles[id], "status": "skip", "detail": why, "evidence": {}}

# A failing, overridable check that a person overrode carries who and why.
with_override(c) := object.union(c, {"overridden": {"reason": o.reason, "by": o.by}}) if {
	c.status == "fail"
	c.id in settings.overridable
	some o in input.overrides
	o.check == c.id
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

short(sha) := substring(sha, 0, 7) if {
	is_string(sha)
} else := "no commit"

has_repos if count(input.repos) > 0

no_repos_reason := "the facts list no release repos: add [[targets.TARGET.repos]] to the config"

# Minutes after midnight of "HH:MM". The "1" prefix keeps to_number off leading
# zeros, which engines parse differently ("07" is not a JSON number).
hhmm_minutes(s) := ((to_number(concat("", ["1", parts[0]])) - 100) * 60) + (to_number(concat("", ["1", parts[1]])) - 100) if {
	regex.match(`^[0-2][0-9]:[0-5][0-9]$`, s)
	parts := split(s, ":")
}
