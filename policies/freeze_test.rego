package gatekeeper

testing_weeks := [{"from": "2026-11-30", "to": "2026-12-11", "reason": "state testing weeks"}]

test_no_freezes_pass if {
	status(green, "freeze") == "pass"
}

test_window_inside_a_freeze_fails_any_deploy if {
	inp := object.union(green, {"window": object.union(tuesday_afternoon, {"segments": [segment("2026-12-01", "Tuesday", "14:00", "15:00", "EST")]})})
	status(inp, "freeze") == "fail" with data.gatekeeper.settings.freezes as testing_weeks
	contains(detail(inp, "freeze"), "state testing weeks") with data.gatekeeper.settings.freezes as testing_weeks
	contains(detail(inp, "freeze"), "until 2026-12-11") with data.gatekeeper.settings.freezes as testing_weeks
}

test_freeze_that_starts_inside_the_window_fails if {
	inp := object.union(green, {"window": object.union(tuesday_afternoon, {"segments": [
		segment("2026-11-29", "Sunday", "23:00", "24:00", "EST"),
		segment("2026-11-30", "Monday", "00:00", "01:00", "EST"),
	]})})
	status(inp, "freeze") == "fail" with data.gatekeeper.settings.freezes as testing_weeks
}

test_window_before_a_freeze_passes if {
	status(green, "freeze") == "pass" with data.gatekeeper.settings.freezes as testing_weeks
}

# The 2026-11-01 fall-back day has two segments (EDT then EST); both are on the
# frozen date, and the day after the freeze is free again.
test_freeze_across_a_dst_change if {
	dst_freeze := [{"from": "2026-10-31", "to": "2026-11-01", "reason": "fall conference"}]
	inp := object.union(green, {"window": object.union(tuesday_afternoon, {"segments": [
		object.union(segment("2026-11-01", "Sunday", "01:30", "02:00", "EDT"), {"utc_offset": "-04:00"}),
		segment("2026-11-01", "Sunday", "01:00", "01:30", "EST"),
	]})})
	status(inp, "freeze") == "fail" with data.gatekeeper.settings.freezes as dst_freeze
	after := object.union(green, {"window": object.union(tuesday_afternoon, {"segments": [segment("2026-11-02", "Monday", "01:00", "02:00", "EST")]})})
	status(after, "freeze") == "pass" with data.gatekeeper.settings.freezes as dst_freeze
}
