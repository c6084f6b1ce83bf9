package gatekeeper_test

test_vetted_notice_passes if {
	status(green_downtime, "downtime_notice") == "pass"
	contains(detail(green_downtime, "downtime_notice"), "notice #7 sent 89 h ahead, vetted by jim")
}

test_notice_sent_71_hours_ahead_fails if {
	inp := with_notice({"sent_unix": 1795849200 - (71 * 3600)})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "sent 71 h before its start, needs 72 h")
}

test_notice_sent_73_hours_ahead_passes if {
	status(with_notice({"sent_unix": 1795849200 - (73 * 3600)}), "downtime_notice") == "pass"
}

test_notice_sent_exactly_72_hours_ahead_passes if {
	status(with_notice({"sent_unix": 1795849200 - (72 * 3600)}), "downtime_notice") == "pass"
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
	inp := with_notice({"commands": [
		{"user": "jim", "command": "proceed", "at": "2026-11-24T18:00:00Z"},
		{"user": "tim", "command": "reschedule", "at": "2026-11-25T09:00:00Z"},
	]})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "/reschedule by tim withdrew it")
}

test_proceed_after_reschedule_passes if {
	inp := with_notice({"commands": [
		{"user": "tim", "command": "reschedule", "at": "2026-11-24T17:00:00Z"},
		{"user": "jim", "command": "proceed", "at": "2026-11-24T18:00:00Z"},
	]})
	status(inp, "downtime_notice") == "pass"
}

test_proceed_from_a_non_vetter_does_not_vet if {
	inp := with_notice({"commands": [{"user": "bob", "command": "proceed", "at": "2026-11-24T18:00:00Z"}]})
	status(inp, "downtime_notice") == "fail"
	contains(detail(inp, "downtime_notice"), "not vetted")
}

test_reschedule_from_a_non_vetter_changes_nothing if {
	inp := with_notice({"commands": [
		{"user": "jim", "command": "proceed", "at": "2026-11-24T18:00:00Z"},
		{"user": "bob", "command": "reschedule", "at": "2026-11-25T09:00:00Z"},
	]})
	status(inp, "downtime_notice") == "pass"
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
	bad := object.union(vetted_notice, {"number": 6, "commands": []})
	status(with_downtime_notices([bad, vetted_notice]), "downtime_notice") == "pass"
}

with_downtime_notice(n) := object.union(green_downtime, {"notices": [n]})

with_downtime_notices(ns) := object.union(green_downtime, {"notices": ns})

test_two_vetted_notices_pass_with_one_detail if {
	inp := object.union(green_downtime, {"notices": [vetted_notice, object.union(vetted_notice, {"number": 9})]})
	status(inp, "downtime_notice") == "pass"
	contains(detail(inp, "downtime_notice"), "notice #7 sent")
}
