package gatekeeper_test

testing_weeks := [{"from": "2026-11-30", "to": "2026-12-11", "reason": "state testing weeks"}]

test_no_freezes_pass if {
	status(green, "freeze") == "pass"
}

test_window_inside_a_freeze_fails_any_deploy if {
	inp := object.union(green, {"window": object.union(tuesday_afternoon, {"segments": [
		segment("2026-12-01", "Tuesday", "14:00", "15:00", "EST"),
	]})})
	status_with(inp, "freeze", {"freezes": testing_weeks}) == "fail"
	contains(detail_with(inp, "freeze", {"freezes": testing_weeks}), "state testing weeks")
	contains(detail_with(inp, "freeze", {"freezes": testing_weeks}), "until 2026-12-11")
}

test_freeze_that_starts_inside_the_window_fails if {
	inp := object.union(green, {"window": object.union(tuesday_afternoon, {"segments": [
		segment("2026-11-29", "Sunday", "23:00", "24:00", "EST"),
		segment("2026-11-30", "Monday", "00:00", "01:00", "EST"),
	]})})
	status_with(inp, "freeze", {"freezes": testing_weeks}) == "fail"
}

test_window_before_a_freeze_passes if {
	status_with(green, "freeze", {"freezes": testing_weeks}) == "pass"
}

# The 2026-11-01 fall-back day has two segments (EDT then EST); both are on the
# frozen date, and the day after the freeze is free again.
test_freeze_across_a_dst_change if {
	dst_freeze := [{"from": "2026-10-31", "to": "2026-11-01", "reason": "fall conference"}]
	inp := object.union(green, {"window": object.union(tuesday_afternoon, {"segments": [
		object.union(segment("2026-11-01", "Sunday", "01:30", "02:00", "EDT"), {"utc_offset": "-04:00"}),
		segment("2026-11-01", "Sunday", "01:00", "01:30", "EST"),
	]})})
	status_with(inp, "freeze", {"freezes": dst_freeze}) == "fail"
	after := object.union(green, {"window": object.union(tuesday_afternoon, {"segments": [
		segment("2026-11-02", "Monday", "01:00", "02:00", "EST"),
	]})})
	status_with(after, "freeze", {"freezes": dst_freeze}) == "pass"
}

frozen_tuesday := object.union(green, {"window": object.union(tuesday_afternoon, {"segments": [
	segment("2026-11-24", "Tuesday", "14:00", "15:00", "EST"),
]})})

test_freeze_with_form_for_from_fails if {
	slip := [{"form": "2026-11-20", "to": "2026-11-30", "reason": "state testing weeks"}]
	status_with(frozen_tuesday, "freeze", {"freezes": slip}) == "fail"
	d := detail_with(frozen_tuesday, "freeze", {"freezes": slip})
	contains(d, "the setting freezes holds")
}

test_freeze_with_us_dates_fails if {
	slip := [{"from": "11/20/2026", "to": "11/30/2026", "reason": "state testing weeks"}]
	status_with(frozen_tuesday, "freeze", {"freezes": slip}) == "fail"
}

test_freeze_from_after_to_fails if {
	slip := [{"from": "2026-11-30", "to": "2026-11-20", "reason": "state testing weeks"}]
	status_with(frozen_tuesday, "freeze", {"freezes": slip}) == "fail"
}

test_freeze_with_an_extra_key_fails if {
	slip := [{"from": "2026-12-20", "to": "2026-12-30", "reason": "holidays", "until": "2027-01-02"}]
	status_with(green, "freeze", {"freezes": slip}) == "fail"
}

test_freezes_as_a_string_fail if {
	status_with(green, "freeze", {"freezes": "2026-11-20 to 2026-11-30"}) == "fail"
}

test_freezes_as_a_set_are_read if {
	weeks := {{"from": "2026-11-23", "to": "2026-11-25", "reason": "state testing week"}}
	status_with(frozen_tuesday, "freeze", {"freezes": weeks}) == "fail"
	later := {{"from": "2026-12-01", "to": "2026-12-02", "reason": "x"}}
	status_with(green, "freeze", {"freezes": later}) == "pass"
}

test_window_without_dates_fails_the_freeze_check if {
	inp := object.union(green, {"window": object.union(tuesday_afternoon, {"segments": []})})
	status(inp, "freeze") == "fail"
	detail(inp, "freeze") == "no evidence that the window is outside every freeze"
}
