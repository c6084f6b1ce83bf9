# Inputs shared by the policy tests: a green release on a Tuesday afternoon, and
# helpers that change one part of it. Timestamps are real instants (see FACTS.md).
# The tests live in their own package and evaluate data.gatekeeper.decision, so no
# fixture is part of the production package.
package gatekeeper_test

import data.gatekeeper

app_sha := "3f2a9c1e8b7d6a5f4e3d2c1b0a99887766554433"

old_sha := "9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"

prod_sha := "aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00"

green_pr := {
	"number": 412,
	"url": "https://github.com/thinkthroughmath/apangea/pull/412",
	"title": "Release 2026-11-24",
	"head_sha": app_sha,
	"labels": ["release"],
	"dependencies": [{"text": "gradebook-service 2.3 deployed", "done": true, "task": true}],
	"dependencies_section": true,
	"tasks": [{"text": "smoke test on staging", "done": false, "sections": ["Release 2026-11-24", "QA"]}],
	"reviews": [
		{"user": "jim", "state": "COMMENTED", "commit_id": app_sha, "submitted_at": "2026-11-24T15:00:00Z"},
		{"user": "tim", "state": "APPROVED", "commit_id": app_sha, "submitted_at": "2026-11-24T16:00:00Z"},
	],
}

green_repo := {
	"name": "thinkthroughmath/apangea",
	"jenkins_job": "apangea-rc",
	"release_branch": "rc",
	"base_branch": "master",
	"release_sha": app_sha,
	"ci": {
		"number": 1187,
		"result": "SUCCESS",
		"building": false,
		"sha": app_sha,
		"url": "https://jenkins.example.com:8080/job/apangea-rc/1187/",
		"started_at": "2026-11-24T16:10:00Z",
	},
	"pull_requests": [green_pr],
	"migrations": [],
	"migrations_base": prod_sha,
	"behind_by": 0,
}

# Tuesday 2026-11-24 14:00-15:00 EST.
tuesday_afternoon := {
	"start": "2026-11-24T19:00:00Z",
	"end": "2026-11-24T20:00:00Z",
	"start_unix": 1795546800,
	"end_unix": 1795550400,
	"minutes": 60,
	"start_local": "2026-11-24T14:00:00-05:00",
	"end_local": "2026-11-24T15:00:00-05:00",
	"segments": [segment("2026-11-24", "Tuesday", "14:00", "15:00", "EST")],
}

# Saturday 2026-11-28 02:00-04:00 EST.
saturday_night := {
	"start": "2026-11-28T07:00:00Z",
	"end": "2026-11-28T09:00:00Z",
	"start_unix": 1795849200,
	"end_unix": 1795856400,
	"minutes": 120,
	"start_local": "2026-11-28T02:00:00-05:00",
	"end_local": "2026-11-28T04:00:00-05:00",
	"segments": [segment("2026-11-28", "Saturday", "02:00", "04:00", "EST")],
}

segment(date, weekday, from, to, zone) := {
	"date": date,
	"weekday": weekday,
	"from_minute": gatekeeper.hhmm_minutes(from),
	"to_minute": gatekeeper.hhmm_minutes(to),
	"from": from,
	"to": to,
	"utc_offset": "-05:00",
	"zone": zone,
}

green := {
	"schema": 4,
	"target": "production",
	"now": "2026-11-24T19:00:00Z",
	"now_unix": 1795546800,
	"timezone": "America/New_York",
	"window": tuesday_afternoon,
	"downtime_requested": false,
	"overrides": [],
	"production": {"repo": "thinkthroughmath/aws-production", "branch": "master", "sha": prod_sha},
	"repos": [green_repo],
	"throughput": {"app": "apangea", "rpm": 9800.4, "window_minutes": 5},
	"notices": [],
	"incidents": [],
	"errors": [],
}

# A notice for the Saturday-night window, sent 89 h ahead and vetted by jim.
vetted_notice := {
	"number": 7,
	"url": "https://github.com/thinkthroughmath/deploy-notices/issues/7",
	"title": "Downtime Saturday 2026-11-28 02:00 ET",
	"sent_at": "2026-11-24T14:00:00Z",
	"sent_unix": 1795528800,
	"target": "production",
	"start": "2026-11-28T07:00:00Z",
	"start_unix": 1795849200,
	"start_local": "2026-11-28T02:00:00-05:00",
	"minutes": 120,
	"end_unix": 1795856400,
	"nature": "database migrations for the new gradebook",
	"affected": "all users",
	"experience": "maintenance page",
	"problems": [],
	"created_at": "2026-11-24T14:00:00Z",
	"edited_at": null,
	"text_known": true,
	"comments": [vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false)],
}

# A comment on a notice: `proceed`/`reschedule` tell whether it has a command line.
vetter_comment(user, at, at_unix, proceed, reschedule) := {
	"user": user,
	"at": at,
	"at_unix": at_unix,
	"created_at": at,
	"edited_at": null,
	"editor": null,
	"text_known": true,
	"minimized": false,
	"proceed": proceed,
	"reschedule": reschedule,
	"not_commands": [],
}

# Migrations pending, Saturday night, with the vetted notice: allowed.
green_downtime := object.union(with_repo(green, {"migrations": ["db/migrate/20261120120000_add_gradebook.rb"]}), {
	"window": saturday_night,
	"notices": [vetted_notice],
})

with_repo(inp, patch) := object.union(inp, {"repos": [object.union(inp.repos[0], patch)]})

# The first repo with one field replaced whole (object.union would merge objects).
with_repo_field(inp, key, value) := object.union(inp, {"repos": [
	object.union(object.remove(inp.repos[0], [key]), {key: value}),
]})

with_pr(inp, patch) := with_repo(inp, {"pull_requests": [object.union(inp.repos[0].pull_requests[0], patch)]})

with_reviews(reviews) := with_pr(green, {"reviews": reviews})

with_notice(patch) := object.union(green_downtime, {"notices": [object.union(vetted_notice, patch)]})

review_by(user, state, sha) := {"user": user, "state": state, "commit_id": sha, "submitted_at": "2026-11-24T16:00:00Z"}

decision_for(inp) := d if {
	d := data.gatekeeper.decision with input as inp
}

status(inp, id) := c.status if {
	some c in decision_for(inp).checks
	c.id == id
}

detail(inp, id) := c.detail if {
	some c in decision_for(inp).checks
	c.id == id
}
