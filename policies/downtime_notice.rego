# downtime_notice (downtime only): a vetted notice with its five fields was sent
# at least `notice_lead_hours` before its announced start, and its announced
# window covers the whole planned window. Vetted: a vetter's latest command
# comment is `/proceed` (a later `/reschedule` from a vetter withdraws it).
package gatekeeper

import data.gatekeeper.settings

check_downtime_notice := r if {
	not downtime
	r := skipped("downtime_notice", "not a downtime deploy: no notice needed")
} else := result("downtime_notice", notice_pass, notice_failures, notice_pass_detail, notice_evidence)

default notice_pass := false

notice_pass if count(good_notices) > 0

notice_failures contains msg if {
	not input.notices
	msg := sprintf("downtime notices unknown (%s)", [source_reason("notices")])
}

notice_failures contains msg if {
	some repo in input.repos
	not repo.migrations
	msg := sprintf("%s: cannot tell whether migrations are pending (%s), so this counts as a downtime deploy", [repo.name, repo_reason("github", repo.name)])
}

notice_failures contains msg if {
	is_array(input.notices)
	count(good_notices) == 0
	some msg in no_good_notice_reasons
}

target_notices := [n | some n in input.notices; n.target == input.target]

good_notices := [n | some n in target_notices; count(notice_problems(n)) == 0]

no_good_notice_reasons := {sprintf("no downtime notice for %s: send one at least %v h before the window (`gatekeeper notice %s …`)", [input.target, settings.notice_lead_hours, input.target])} if {
	count(target_notices) == 0
} else := {msg | some n in target_notices; some msg in notice_problems(n)}

notice_problems(n) := ((field_problems(n) | vetting_problems(n)) | lead_problems(n)) | cover_problems(n)

notice_fields := {"start": "Start", "minutes": "Length", "nature": "Nature", "affected": "Affected", "experience": "Experience"}

field_problems(n) := {sprintf("notice #%v: %s", [n.number, p]) | some p in n.problems} | {sprintf("notice #%v: no %s field", [n.number, label]) |
	some field, label in notice_fields
	not n[field]
}

# A vetter's latest command comment.
vetting(n) := n.commands[last] if {
	mine := [i | some i, c in n.commands; c.user in settings.vetters]
	count(mine) > 0
	last := max(mine)
}

vetted(n) if vetting(n).command == "proceed"

vetting_problems(n) := set() if {
	vetted(n)
} else := {sprintf("notice #%v: /%s by %s withdrew it", [n.number, vetting(n).command, vetting(n).user])} if {
	vetting(n)
} else := {sprintf("notice #%v: not vetted: a vetter (%s) must comment /proceed", [n.number, concat(", ", settings.vetters)])}

lead_hours(n) := (n.start_unix - n.sent_unix) / 3600

lead_problems(n) := {sprintf("notice #%v: sent %s h before its start, needs %v h", [n.number, format_int(lead_hours(n), 10), settings.notice_lead_hours])} if {
	lead_hours(n) < settings.notice_lead_hours
} else := set()

covers(n) if {
	n.start_unix <= input.window.start_unix
	n.end_unix >= input.window.end_unix
}

cover_problems(n) := set() if {
	covers(n)
} else := {sprintf("notice #%v announces %s for %v minutes, which does not cover the planned window %s to %s", [n.number, n.start_local, n.minutes, input.window.start_local, input.window.end_local])} if {
	n.start_unix
	n.end_unix
} else := set()

# The first good notice names the pass: with two vetted notices there must still be one detail.
notice_pass_detail := sprintf("notice #%v sent %s h ahead, vetted by %s, announces %s for %v minutes", [n.number, format_int(lead_hours(n), 10), vetting(n).user, n.start_local, n.minutes]) if {
	n := good_notices[0]
} else := "no vetted notice"

notice_evidence := [{
	"number": n.number,
	"url": n.url,
	"sent_at": n.sent_at,
	"lead_hours": notice_lead(n),
	"vetted_by": notice_vetter(n),
	"problems": notice_problems(n),
} |
	some n in target_notices
]

notice_lead(n) := lead_hours(n) if {
	is_number(n.start_unix)
} else := null

notice_vetter(n) := vetting(n).user if {
	vetted(n)
} else := null
