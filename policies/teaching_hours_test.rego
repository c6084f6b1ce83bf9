package gatekeeper_test

downtime_window(segments) := object.union(green_downtime, {"window": object.union(
	saturday_night,
	{"segments": segments},
)})

test_saturday_night_passes if {
	status(green_downtime, "teaching_hours") == "pass"
}

test_window_from_2030_for_60_minutes_overlaps_teaching if {
	inp := downtime_window([segment("2026-11-24", "Tuesday", "20:30", "21:30", "EST")])
	status(inp, "teaching_hours") == "fail"
	contains(detail(inp, "teaching_hours"), "Tuesday 2026-11-24, 20:30 to 21:30 EST")
}

test_window_from_2100_passes if {
	status(downtime_window([segment("2026-11-24", "Tuesday", "21:00", "22:00", "EST")]), "teaching_hours") == "pass"
}

test_0630_for_20_minutes_in_winter_passes if {
	status(downtime_window([segment("2026-01-13", "Tuesday", "06:30", "06:50", "EST")]), "teaching_hours") == "pass"
}

test_0630_for_20_minutes_in_summer_passes if {
	seg := object.union(segment("2026-07-14", "Tuesday", "06:30", "06:50", "EDT"), {"utc_offset": "-04:00"})
	status(downtime_window([seg]), "teaching_hours") == "pass"
}

test_window_ending_at_0701_overlaps if {
	status(downtime_window([segment("2026-07-14", "Tuesday", "06:30", "07:01", "EDT")]), "teaching_hours") == "fail"
}

test_window_across_midnight_into_monday_morning_fails if {
	inp := downtime_window([
		segment("2026-11-29", "Sunday", "23:00", "24:00", "EST"),
		segment("2026-11-30", "Monday", "00:00", "08:00", "EST"),
	])
	status(inp, "teaching_hours") == "fail"
	contains(detail(inp, "teaching_hours"), "Monday 2026-11-30")
}

test_holiday_is_not_a_teaching_day if {
	inp := downtime_window([segment("2026-11-26", "Thursday", "10:00", "12:00", "EST")])
	status(inp, "teaching_hours") == "fail"
	status_with(inp, "teaching_hours", {"holidays": {"2026-11-26"}}) == "pass"
	d := detail_with(inp, "teaching_hours", {"holidays": {"2026-11-26"}})
	contains(d, "2026-11-26 is a holiday")
}

# A Tuesday 14:00 downtime window: each slip in the teaching-hours settings still fails it.
tuesday_downtime := downtime_window([segment("2026-11-24", "Tuesday", "14:00", "15:00", "EST")])

lowercase_days := ["monday", "tuesday", "wednesday", "thursday", "friday"]

test_lowercase_teaching_days_fail if {
	status_with(tuesday_downtime, "teaching_hours", {"teaching_days": lowercase_days}) == "fail"
	d := detail_with(tuesday_downtime, "teaching_hours", {"teaching_days": lowercase_days})
	contains(d, "are not English weekday names and HH:MM times")
}

test_abbreviated_teaching_days_fail if {
	days := ["Mon", "Tue", "Wed", "Thu", "Fri"]
	status_with(tuesday_downtime, "teaching_hours", {"teaching_days": days}) == "fail"
}

test_one_digit_teaching_start_fails if {
	status_with(tuesday_downtime, "teaching_hours", {"teaching_start": "7:00"}) == "fail"
}

test_teaching_end_as_a_number_fails if {
	status_with(tuesday_downtime, "teaching_hours", {"teaching_end": 2100}) == "fail"
}

test_teaching_start_after_the_end_fails if {
	status_with(green_downtime, "teaching_hours", {"teaching_start": "22:00"}) == "fail"
}

test_window_without_segments_fails if {
	inp := downtime_window([])
	status(inp, "teaching_hours") == "fail"
	detail(inp, "teaching_hours") == "the facts have no planned window"
}

test_segment_with_an_unknown_weekday_fails if {
	seg := segment("2026-11-24", "tuesday", "14:00", "15:00", "EST")
	status(downtime_window([seg]), "teaching_hours") == "fail"
}

test_segment_with_minutes_as_strings_fails if {
	seg := object.union(segment("2026-11-24", "Tuesday", "21:00", "22:00", "EST"), {"from_minute": "1260"})
	status(downtime_window([seg]), "teaching_hours") == "fail"
}

test_downtime_without_a_window_fails if {
	status(object.remove(green_downtime, ["window"]), "teaching_hours") == "fail"
}
