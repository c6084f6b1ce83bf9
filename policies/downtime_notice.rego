# downtime_notice (downtime only): a vetted notice with its five fields was sent
# at least `notice_lead_hours` before its announced start, and its announced
# window covers the whole planned window.
#
# Sent: at the later of the issue's creation and its body's last edit (an edit
# restarts the lead). Vetted: the latest comment by any vetter has a line that is
# exactly `/proceed`, no `/reschedule` line, and was written (or last edited)
# after the notice was sent. A later vetter comment without `/proceed` (an
# objection, a question) withdraws earlier vetting.
#
# A vetter's /proceed hidden on GitHub (`minimized`) does not count.
#
# A comment is its author's word only while nobody else edited it last (GitHub
# records the last `editor`): one last edited by someone else is the editor's
# word, vets only when the editor is a vetter, and never counts for its author.
#
# Text unknown (`text_known: false`, the notice or comment was edited after `now`,
# as with `--at`): such a notice never passes, and a vetter comment whose text is
# unknown leaves vetting unproved, since it may have been the vetter's latest word.
#
# The check passes only on positive evidence (`downtime_notice_passes`); the
# failure reasons explain, they never decide.
package gatekeeper

import data.gatekeeper.settings

check_downtime_notice := r if {
	not downtime
	r := skipped("downtime_notice", "not a downtime deploy: no notice needed")
} else := result("downtime_notice", downtime_notice_passes, notice_reasons, notice_pass_detail, notice_evidence)

default downtime_notice_passes := false

# The notices were read, every repo's migrations are known, and one notice for
# this target passes every rule.
downtime_notice_passes if {
	is_array(input.notices)
	every repo in input.repos {
		is_array(repo.migrations)
	}
	count(good_notices) > 0
}

notice_reasons contains msg if {
	not notices_readable(input)
	msg := sprintf("downtime notices unknown (%s)", [source_reason("notices")])
}

notice_reasons contains msg if {
	some repo in input.repos
	not migrations_known(repo)
	msg := sprintf(
		"%s: cannot tell whether migrations are pending (%s), so this counts as a downtime deploy",
		[repo.name, fact_reason("github", repo.name, "migrations")]
	)
}

notice_reasons contains msg if {
	is_array(input.notices)
	count(good_notices) == 0
	some msg in no_good_notice_reasons
}

# Notices for this target, and those whose target cannot be read (so that a
# `Target:` given twice is reported, not ignored).
target_notices := [n |
	some n in input.notices
	for_target(n)
]

for_target(n) if n.target == input.target

# Its text at `now` is unknown, so it may be for this target.
for_target(n) if n.text_known == false

for_target(n) if {
	not n.target
	some p in n.problems
	startswith(p, "Target ")
}

good_notices := [n |
	some n in target_notices
	good_notice(n)
]

good_notice(n) if {
	n.text_known == true
	n.target == input.target
	is_array(n.problems)
	count(n.problems) == 0
	every field in ["nature", "affected", "experience", "start_local"] {
		is_string(n[field])
		n[field] != ""
	}
	vetted(n)
	meets_lead(n)
	covers(n)
}

no_good_notice_reasons := {msg} if {
	count(target_notices) == 0
	msg := sprintf(
		"no downtime notice for %s: send one at least %v h before the window (`gatekeeper notice %s …`)",
		[input.target, settings.notice_lead_hours, input.target]
	)
} else := {msg |
	some n in target_notices
	some msg in notice_problems(n)
}

notice_problems(n) := {msg} if {
	n.text_known == false
	msg := sprintf(
		"notice #%v was edited at %s, after the moment checked (%s): its text then is unknown, so it cannot pass",
		[n.number, n.edited_at, input.now],
	)
} else := ((field_problems(n) | vetting_problems(n)) | lead_problems(n)) | cover_problems(n)

notice_fields := {
	"start": "Start",
	"minutes": "Length",
	"nature": "Nature",
	"affected": "Affected",
	"experience": "Experience",
}

# A field named in `problems` (unreadable, or given twice) is not reported missing too.
field_problems(n) := unreadable | missing if {
	unreadable := {sprintf("notice #%v: %s", [n.number, p]) | some p in n.problems}
	missing := {sprintf("notice #%v: no %s field", [n.number, label]) |
		some field, label in notice_fields
		not n[field]
		not named_in_problems(n, label)
	}
}

named_in_problems(n, label) if {
	some p in n.problems
	startswith(p, concat("", [label, " "]))
}

# --- vetting ---

# The vetters' latest word on the notice: their comment with the latest `at_unix`
# (the last of equals, in the collector's order).
latest_vetting(n) := same[count(same) - 1] if {
	mine := vetter_comments(n)
	count(mine) > 0
	newest := max([c.at_unix | some c in mine])
	same := [c |
		some c in mine
		c.at_unix == newest
	]
}

# Comments that are a vetter's word.
vetter_comments(n) := [c |
	some c in n.comments
	is_vetter(comment_by(c))
]

# GitHub logins are case-insensitive: `Jim` in the settings is jim on GitHub.
is_vetter(login) if {
	is_string(login)
	lower(login) in {lower(v) | some v in settings.vetters}
}

# Whose word a comment is: its author's while nobody else edited it last, else
# its last editor's (when GitHub names one), never its author's.
comment_by(c) := c.user if {
	is_string(c.user)
	authors_word(c)
}

comment_by(c) := c.editor if {
	not authors_word(c)
	is_string(c.editor)
}

# Never edited, or last edited by its author.
authors_word(c) if c.edited_at == null

authors_word(c) if {
	is_string(c.user)
	is_string(c.editor)
	lower(c.editor) == lower(c.user)
}

# Vetters' comments (by author or by last editor) whose text at `now` is not
# known to be what was read.
unknown_vetting(n) := [c |
	some c in n.comments
	vetter_involved(c)
	not text_known(c)
]

# Helpers, so that their negations are the same in every Rego engine when a field is
# absent (`not c.proceed == true` is undefined in OPA when `proceed` is missing).
text_known(c) if c.text_known == true

shown_on_github(c) if c.minimized == false

says_proceed(c) if c.proceed == true

vetter_involved(c) if is_vetter(c.user)

vetter_involved(c) if is_vetter(c.editor)

# Vetters' comments that someone else edited last: not their word, said so.
edited_away(n) := [msg |
	some c in n.comments
	is_vetter(c.user)
	not authors_word(c)
	msg := sprintf("%s's comment at %s was last edited by %s, so it is not %s's word", [c.user, c.at, editor_name(c), c.user])
]

editor_name(c) := c.editor if is_string(c.editor) else := "someone GitHub does not name"

edited_hint(n) := sprintf(" (%s)", [concat("; ", edited_away(n))]) if {
	count(edited_away(n)) > 0
} else := ""

vetted(n) if {
	count(unknown_vetting(n)) == 0
	c := latest_vetting(n)
	c.proceed == true
	c.reschedule == false
	c.minimized == false
	is_number(c.at_unix)
	is_number(n.sent_unix)
	c.at_unix > n.sent_unix
}

vetting_problems(n) := set() if {
	vetted(n)
} else := msgs if {
	msgs := {msg |
		some c in unknown_vetting(n)
		msg := unknown_vetting_reason(n, c)
	}
	count(msgs) > 0
} else := {msg} if {
	c := latest_vetting(n)
	c.reschedule == true
	msg := sprintf("notice #%v: /reschedule by %s at %s withdrew it", [n.number, comment_by(c), c.at])
} else := {msg} if {
	c := latest_vetting(n)
	c.proceed == true
	not shown_on_github(c)
	msg := sprintf(
		concat("", [
			"notice #%v: the latest comment by a vetter, %s's /proceed at %s, is hidden on GitHub (minimized), ",
			"so it does not count: a vetter must comment /proceed again",
		]),
		[n.number, comment_by(c), c.at],
	)
} else := {msg} if {
	c := latest_vetting(n)
	not says_proceed(c)
	msg := sprintf(
		concat("", [
			"notice #%v: not vetted: the latest comment by a vetter, %s's at %s, has no line that is exactly ",
			"/proceed, so it withdraws any earlier vetting%s",
		]),
		[n.number, comment_by(c), c.at, not_command_hint(c)]
	)
} else := {msg} if {
	c := latest_vetting(n)
	msg := sprintf(
		"notice #%v: vetted by %s at %s, before the notice was sent in its current words at %s: %s",
		[n.number, comment_by(c), c.at, n.sent_at, "a vetter must comment /proceed again"]
	)
} else := {sprintf(
	"notice #%v: not vetted: a vetter (%s) must comment a line that is exactly /proceed%s",
	[n.number, concat(", ", settings.vetters), edited_hint(n)]
)}

unknown_vetting_reason(n, c) := msg if {
	c.text_known == false
	msg := sprintf(
		concat("", [
			"notice #%v: comment by %s at %s was edited after the moment checked (%s): ",
			"its text then is unknown, so vetting is not proved",
		]),
		[n.number, c.user, c.at, input.now],
	)
} else := sprintf(
	"notice #%v: comment by %s at %s does not say whether its text is known (text_known), so vetting is not proved",
	[n.number, c.user, c.at],
)

# Lines that look like commands but are not, so that the reason says why.
not_command_hint(c) := sprintf(" (%s: %s)", [concat("; ", lines), command_rule]) if {
	lines := [sprintf("%q is not a command", [line]) | some line in c.not_commands]
	count(lines) > 0
} else := ""

command_rule := "a command is a line of its own, with nothing else on it"

# --- lead and cover ---

lead_seconds(n) := n.start_unix - n.sent_unix if {
	is_number(n.start_unix)
	is_number(n.sent_unix)
}

lead_hours(n) := lead_seconds(n) / 3600

meets_lead(n) if {
	is_number(settings.notice_lead_hours)
	lead_seconds(n) >= settings.notice_lead_hours * 3600
}

lead_problems(n) := set() if {
	meets_lead(n)
} else := {msg} if {
	lead_seconds(n)
	msg := sprintf(
		"notice #%v: sent %s h before its start, needs %v h%s",
		[n.number, format_int(lead_hours(n), 10), settings.notice_lead_hours, edit_hint(n)]
	)
} else := set()

# An edit restarts the lead: say so when it is why.
edit_hint(n) := sprintf(" (it was last edited at %s, which counts as sending it again)", [n.edited_at]) if {
	is_string(n.edited_at)
} else := ""

covers(n) if {
	is_number(n.start_unix)
	is_number(n.end_unix)
	is_number(input.window.start_unix)
	is_number(input.window.end_unix)
	n.start_unix <= input.window.start_unix
	n.end_unix >= input.window.end_unix
}

cover_problems(n) := set() if {
	covers(n)
} else := {msg} if {
	is_number(n.start_unix)
	is_number(n.end_unix)
	msg := sprintf(
		"notice #%v announces %s for %v minutes, which does not cover the planned window %s to %s",
		[n.number, n.start_local, n.minutes, input.window.start_local, input.window.end_local]
	)
} else := set()

# --- detail and evidence ---

# The first good notice names the pass: with two vetted notices there must still be one detail.
notice_pass_detail := sprintf(
	"notice #%v sent %s h ahead, vetted by %s, announces %s for %v minutes",
	[n.number, format_int(lead_hours(n), 10), comment_by(latest_vetting(n)), n.start_local, n.minutes]
) if {
	n := good_notices[0]
} else := "no vetted notice"

notice_evidence := [{
	"number": n.number,
	"url": n.url,
	"sent_at": n.sent_at,
	"created_at": object.get(n, "created_at", null),
	"edited_at": object.get(n, "edited_at", null),
	"lead_hours": notice_lead(n),
	"vetted_by": notice_vetter(n),
	"latest_vetter_comment": notice_latest_vetting(n),
	"problems": notice_problems(n),
} |
	some n in target_notices
]

notice_lead(n) := lead_hours(n) if {
	lead_seconds(n)
} else := null

notice_vetter(n) := comment_by(latest_vetting(n)) if {
	vetted(n)
} else := null

notice_latest_vetting(n) := latest_vetting(n) if {
	latest_vetting(n)
} else := null
