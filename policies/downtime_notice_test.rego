package gatekeeper_test

test_vetted_notice_passes if {
	status(green_downtime, "downtime_notice") == "pass"
	contains(detail(green_downtime, "downtime_notice"), "notice #7 sent 89 h ahead, vetted by jim")
}

test_notice_sent_71_hours_ahead_fails if {
	inp := with_notice(sent_hours_ahead(71))
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "sent 71 h before its start, needs 72 h")
}

test_notice_sent_73_hours_ahead_passes if {
	status(with_notice(sent_hours_ahead(73)), "downtime_notice") == "pass"
}

test_notice_sent_exactly_72_hours_ahead_passes if {
	status(with_notice(sent_hours_ahead(72)), "downtime_notice") == "pass"
}

# Sent `h` hours before the Saturday start, and vetted a minute later.
sent_hours_ahead(h) := {
	"sent_unix": sent,
	"comments": [vetter_comment("jim", "(a minute after sending)", sent + 60, true, false)],
} if {
	sent := 1795849200 - (h * 3600)
}

test_notice_missing_a_field_fails if {
	inp := with_downtime_notice(object.remove(vetted_notice, ["experience"]))
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "no Experience field")
}

test_notice_with_an_unreadable_field_fails if {
	inp := with_notice({"problems": ["Start: \"next saturday\" is not an RFC 3339 time"]})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "next saturday")
}

test_reschedule_after_proceed_fails if {
	inp := with_notice({"comments": [
		vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false),
		vetter_comment("tim", "2026-11-25T09:00:00Z", 1795597200, false, true),
	]})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "/reschedule by tim at 2026-11-25T09:00:00Z withdrew it")
}

test_proceed_after_reschedule_passes if {
	inp := with_notice({"comments": [
		vetter_comment("tim", "2026-11-24T17:00:00Z", 1795539600, false, true),
		vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false),
	]})
	status(inp, "downtime_notice") == "pass"
}

test_proceed_and_reschedule_in_one_comment_fails if {
	inp := with_notice({"comments": [vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, true)]})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "/reschedule by jim")
}

test_proceed_from_a_non_vetter_does_not_vet if {
	inp := with_notice({"comments": [vetter_comment("bob", "2026-11-24T18:00:00Z", 1795543200, true, false)]})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "not vetted: a vetter (tim, jim) must comment a line that is exactly /proceed")
}

test_a_vetters_login_matches_in_any_case if {
	inp := with_notice({"comments": [vetter_comment("Jim", "2026-11-24T18:00:00Z", 1795543200, true, false)]})
	status(inp, "downtime_notice") == "pass"
	later := with_notice({"comments": [
		vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false),
		vetter_comment("JIM", "2026-11-25T09:00:00Z", 1795597200, false, true),
	]})
	status(later, "downtime_notice") == "fail"
}

test_comments_from_a_non_vetter_change_nothing if {
	inp := with_notice({"comments": [
		vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false),
		vetter_comment("bob", "2026-11-25T09:00:00Z", 1795597200, false, true),
		vetter_comment(null, "2026-11-25T10:00:00Z", 1795600800, false, false),
	]})
	status(inp, "downtime_notice") == "pass"
}

test_a_later_vetter_comment_without_a_command_withdraws if {
	inp := with_notice({"comments": [
		vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false),
		vetter_comment("tim", "2026-11-25T09:00:00Z", 1795597200, false, false),
	]})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "the latest comment by a vetter, tim's at 2026-11-25T09:00:00Z, has no line that is exactly /proceed")
}

test_the_latest_comment_decides_whatever_the_order if {
	inp := with_notice({"comments": [
		vetter_comment("tim", "2026-11-25T09:00:00Z", 1795597200, false, false),
		vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false),
	]})
	status(inp, "downtime_notice") == "fail"
}

test_a_command_with_more_words_does_not_vet_and_says_why if {
	c := object.union(vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, false, false), {"not_commands": ["/proceed NOT until support signs off"]})
	inp := with_notice({"comments": [c]})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), `"/proceed NOT until support signs off" is not a command`)
}

test_vetting_before_the_last_edit_does_not_count if {
	# Edited at 2026-11-24T20:00:00Z, after jim's /proceed at 18:00; still 83 h ahead.
	inp := with_notice({"sent_at": "2026-11-24T20:00:00Z", "sent_unix": 1795550400, "edited_at": "2026-11-24T20:00:00Z"})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "vetted by jim at 2026-11-24T18:00:00Z, before the notice was sent in its current words at 2026-11-24T20:00:00Z")
}

test_vetting_after_the_last_edit_counts if {
	inp := with_notice({
		"sent_at": "2026-11-24T17:00:00Z", "sent_unix": 1795539600,
		"edited_at": "2026-11-24T17:00:00Z",
	})
	status(inp, "downtime_notice") == "pass"
}

test_an_edit_restarts_the_lead if {
	# Edited 6 h before the start, then vetted again.
	inp := with_notice({
		"sent_at": "2026-11-28T01:00:00Z", "sent_unix": 1795827600,
		"edited_at": "2026-11-28T01:00:00Z",
		"comments": [vetter_comment("jim", "2026-11-28T01:30:00Z", 1795829400, true, false)],
	})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "sent 6 h before its start, needs 72 h (it was last edited at 2026-11-28T01:00:00Z")
}

test_a_field_given_twice_fails_without_a_missing_field_too if {
	twice := object.union(
		object.remove(vetted_notice, ["start", "start_unix", "start_local", "end_unix"]),
		{"problems": ["Start is given 2 times (\"a\", \"b\"): give it once"]},
	)
	inp := with_downtime_notice(twice)
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "notice #7: Start is given 2 times")
	not contains(detail(inp, "downtime_notice"), "no Start field")
}

test_a_target_given_twice_is_reported if {
	inp := with_downtime_notice(object.union(
		object.remove(vetted_notice, ["target"]),
		{"problems": ["Target is given 2 times (\"production\", \"staging\"): give it once"]},
	))
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "notice #7: Target is given 2 times")
}

test_a_lead_setting_of_the_wrong_type_never_passes if {
	inp := with_notice({})
	status(inp, "downtime_notice") == "fail" with data.gatekeeper.settings.notice_lead_hours as "72"
}

test_a_start_of_the_wrong_type_never_passes if {
	status(with_notice({"start_unix": "1795849200"}), "downtime_notice") == "fail"
}

test_planned_window_running_past_the_announced_one_fails if {
	inp := object.union(green_downtime, {"window": object.union(saturday_night, {"end_unix": 1795856400 + 60, "end_local": "2026-11-28T04:01:00-05:00"})})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "does not cover the planned window")
}

test_notice_for_another_target_does_not_count if {
	inp := with_notice({"target": "staging"})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "no downtime notice for production")
}

test_no_notice_fails_and_says_what_to_do if {
	inp := object.union(green_downtime, {"notices": []})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "gatekeeper notice production")
}

test_notices_unknown_fails_with_the_reason if {
	inp := object.union(object.remove(green_downtime, ["notices"]), {"errors": [{"source": "notices", "message": "rate limited until 12:00 UTC"}]})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "notices: rate limited until 12:00 UTC")
}

test_unknown_migrations_fail_the_notice_check if {
	inp := object.union(
		object.union(green_downtime, {"repos": [object.remove(green_repo, ["migrations"])]}),
		{"errors": [{"source": "github", "message": "compare lists 300 files, the cap"}]},
	)
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "cannot tell whether migrations are pending")
}

test_one_good_notice_among_bad_ones_passes if {
	bad := object.union(vetted_notice, {"number": 6, "comments": []})
	status(with_downtime_notices([bad, vetted_notice]), "downtime_notice") == "pass"
}

with_downtime_notice(n) := object.union(green_downtime, {"notices": [n]})

with_downtime_notices(ns) := object.union(green_downtime, {"notices": ns})

test_two_vetted_notices_pass_with_one_detail if {
	inp := object.union(green_downtime, {"notices": [vetted_notice, object.union(vetted_notice, {"number": 9})]})
	status(inp, "downtime_notice") == "pass"
	contains(detail(inp, "downtime_notice"), "notice #7 sent")
}

# A vetter's comment edited after `now`: it existed then, with a text unknown.
unknown_comment(user, at, at_unix) := object.union(vetter_comment(user, at, at_unix, false, false), {
	"edited_at": "2026-11-25T09:00:00Z",
	"text_known": false,
})

test_an_earlier_proceed_does_not_vet_past_a_comment_of_unknown_text if {
	inp := with_notice({"comments": [
		vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false),
		unknown_comment("jim", "2026-11-24T18:30:00Z", 1795545000),
	]})
	status(inp, "downtime_notice") == "fail"
	want := concat("", [
		"notice #7: comment by jim at 2026-11-24T18:30:00Z was edited after the moment checked ",
		"(2026-11-24T19:00:00Z): its text then is unknown, so vetting is not proved",
	])
	detail(inp, "downtime_notice") == want
}

# It may have been edited before `now` too, after the later /proceed: any one blocks.
test_a_vetter_comment_of_unknown_text_blocks_even_before_a_later_proceed if {
	inp := with_notice({"comments": [
		unknown_comment("tim", "2026-11-24T17:00:00Z", 1795539600),
		vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false),
	]})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "comment by tim at 2026-11-24T17:00:00Z was edited after the moment")
}

test_a_non_vetter_comment_of_unknown_text_changes_nothing if {
	inp := with_notice({"comments": [
		vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false),
		unknown_comment("bob", "2026-11-24T18:30:00Z", 1795545000),
	]})
	status(inp, "downtime_notice") == "pass"
}

test_a_vetter_comment_without_text_known_does_not_vet if {
	every c in [
		object.remove(vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false), ["text_known"]),
		object.union(vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false), {"text_known": "true"}),
	] {
		inp := with_notice({"comments": [c]})
		status(inp, "downtime_notice") == "fail"
		contains(detail(inp, "downtime_notice"), "does not say whether its text is known")
	}
}

# Edited after `now`: the fields it had then are unknown. Even if the facts still
# held the later words, it must not pass on them.
test_a_notice_of_unknown_text_never_passes if {
	inp := with_notice({"text_known": false, "edited_at": "2026-11-25T09:00:00Z"})
	status(inp, "downtime_notice") == "fail"
	want := concat("", [
		"notice #7 was edited at 2026-11-25T09:00:00Z, after the moment checked (2026-11-24T19:00:00Z): ",
		"its text then is unknown, so it cannot pass",
	])
	detail(inp, "downtime_notice") == want
}

test_a_notice_without_text_known_never_passes if {
	every n in [object.remove(vetted_notice, ["text_known"]), object.union(vetted_notice, {"text_known": "true"})] {
		status(with_downtime_notice(n), "downtime_notice") == "fail"
	}
}

# Its target is unknown, so it is reported under this target, fields and all gone.
test_a_notice_of_unknown_text_is_reported_for_the_target if {
	n := object.union(object.remove(vetted_notice, ["target", "start", "start_unix", "start_local", "minutes"]), {
		"text_known": false,
		"edited_at": "2026-11-25T09:00:00Z",
	})
	inp := with_downtime_notice(n)
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "notice #7 was edited at 2026-11-25T09:00:00Z")
	not contains(detail(inp, "downtime_notice"), "no downtime notice")
}

test_a_notice_of_unknown_text_beside_a_good_one_passes if {
	unknown := object.union(vetted_notice, {"number": 8, "text_known": false, "edited_at": "2026-11-25T09:00:00Z"})
	inp := object.union(green_downtime, {"notices": [unknown, vetted_notice]})
	status(inp, "downtime_notice") == "pass"
}

test_a_hidden_proceed_does_not_vet if {
	hidden := object.union(vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false), {"minimized": true})
	inp := with_notice({"comments": [hidden]})
	status(inp, "downtime_notice") == "fail"
	want := concat("", [
		"notice #7: the latest comment by a vetter, jim's /proceed at 2026-11-24T18:00:00Z, is hidden on GitHub ",
		"(minimized), so it does not count: a vetter must comment /proceed again",
	])
	detail(inp, "downtime_notice") == want
}

test_a_proceed_without_minimized_does_not_vet if {
	every c in [
		object.remove(vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false), ["minimized"]),
		object.union(vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false), {"minimized": "false"}),
	] {
		status(with_notice({"comments": [c]}), "downtime_notice") == "fail"
	}
}

# A hidden comment without /proceed still withdraws earlier vetting.
test_a_hidden_later_comment_still_withdraws if {
	hidden := object.union(vetter_comment("tim", "2026-11-24T18:30:00Z", 1795545000, false, false), {"minimized": true})
	inp := with_notice({"comments": [vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false), hidden]})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "withdraws any earlier vetting")
}

# A comment someone else edited last.
edited_by(c, editor) := object.union(c, {"edited_at": c.at, "editor": editor})

test_a_vetters_comment_edited_into_proceed_by_someone_else_does_not_vet if {
	objection := vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false)
	inp := with_notice({"comments": [edited_by(objection, "dev")]})
	status(inp, "downtime_notice") == "fail"
	want := concat("", [
		"notice #7: not vetted: a vetter (tim, jim) must comment a line that is exactly /proceed ",
		"(jim's comment at 2026-11-24T18:00:00Z was last edited by dev, so it is not jim's word)",
	])
	detail(inp, "downtime_notice") == want
	# An editor GitHub does not name (a deleted account) is no vetter either.
	ghost := with_notice({"comments": [edited_by(objection, null)]})
	contains(detail(ghost, "downtime_notice"), "was last edited by someone GitHub does not name")
}

test_a_comment_edited_by_a_vetter_vets_as_the_editors if {
	c := vetter_comment("dev", "2026-11-24T18:00:00Z", 1795543200, true, false)
	inp := with_notice({"comments": [edited_by(c, "Tim")]})
	status(inp, "downtime_notice") == "pass"
	contains(detail(inp, "downtime_notice"), "vetted by Tim")
}

test_a_comment_edited_by_its_author_stays_the_authors if {
	c := vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false)
	status(with_notice({"comments": [edited_by(c, "JIM")]}), "downtime_notice") == "pass"
	# Edited, with no editor said: nobody's word.
	unsaid := object.remove(edited_by(c, "jim"), ["editor"])
	status(with_notice({"comments": [unsaid]}), "downtime_notice") == "fail"
}

test_an_edited_vetter_comment_never_withdraws_for_its_author if {
	proceed := vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false)
	later := vetter_comment("jim", "2026-11-25T09:00:00Z", 1795597200, false, true)
	inp := with_notice({"comments": [proceed, edited_by(later, "dev")]})
	status(inp, "downtime_notice") == "pass"
}

test_a_comment_of_unknown_text_edited_by_a_vetter_leaves_vetting_unproved if {
	proceed := vetter_comment("jim", "2026-11-24T18:00:00Z", 1795543200, true, false)
	unknown := object.union(edited_by(vetter_comment("dev", "2026-11-24T18:30:00Z", 1795545000, false, false), "tim"), {"text_known": false})
	inp := with_notice({"comments": [proceed, unknown]})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "its text then is unknown")
}
