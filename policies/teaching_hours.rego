# teaching_hours (downtime only): the whole planned window lies outside live
# teaching hours. The facts cut the window into local segments (one local date
# and UTC offset each), so no time-zone arithmetic happens here.
package gatekeeper

import data.gatekeeper.settings

check_teaching_hours := r if {
	not downtime
	r := skipped("teaching_hours", "not a downtime deploy: the site stays up")
} else := result("teaching_hours", teaching_pass, teaching_failures, teaching_pass_detail, teaching_evidence)

default teaching_pass := false

teaching_pass if {
	teaching_settings_valid
	is_array(input.window.segments)
	count(input.window.segments) > 0
	every seg in input.window.segments {
		outside_teaching(seg)
	}
}

# The settings name real weekdays and HH:MM times, with the start before the end.
teaching_settings_valid if {
	is_collection(settings.teaching_days)
	is_collection(settings.holidays)
	every day in settings.teaching_days {
		day in weekdays
	}
	teaching_start_minute < teaching_end_minute
}

# Read once per evaluation: a rule's value is kept, a function's is not.
teaching_start_minute := hhmm_minutes(settings.teaching_start)

teaching_end_minute := hhmm_minutes(settings.teaching_end)

# A segment is clear of teaching when its day is no teaching day, is a holiday, or
# when it ends by the start of teaching or begins at or after its end.
outside_teaching(seg) if {
	seg.weekday in weekdays
	not teaching_day(seg)
}

# A helper, so that the guard above is the same in every Rego engine.
teaching_day(seg) if seg.weekday in settings.teaching_days

outside_teaching(seg) if {
	is_date(seg.date)
	seg.date in settings.holidays
}

outside_teaching(seg) if {
	is_number(seg.to_minute)
	seg.to_minute <= teaching_start_minute
}

outside_teaching(seg) if {
	is_number(seg.from_minute)
	seg.from_minute >= teaching_end_minute
}

teaching_failures contains "the facts have no planned window" if count(input.window.segments) == 0

teaching_failures contains msg if {
	some seg in teaching_overlaps
	msg := sprintf("the window on %s %s, %s to %s %s, overlaps live teaching hours (%s to %s): %s", [
		seg.weekday, seg.date, seg.from, seg.to, seg.zone, settings.teaching_start, settings.teaching_end,
		"pick a time with `gatekeeper window`",
	])
}

teaching_failures contains msg if {
	not teaching_settings_valid
	msg := sprintf("the settings teaching_days %v, teaching_start %v and teaching_end %v are not %s", [
		settings.teaching_days, settings.teaching_start, settings.teaching_end,
		"English weekday names and HH:MM times with the start before the end",
	])
}

teaching_overlaps contains seg if {
	some seg in input.window.segments
	not outside_teaching(seg)
	teaching_settings_valid
}

teaching_pass_detail := sprintf("%s to %s lies outside live teaching hours (%s, %s to %s)%s", [
	object.get(input, ["window", "start_local"], null),
	object.get(input, ["window", "end_local"], null),
	concat(", ", [substring(d, 0, 3) | some d in settings.teaching_days; is_string(d)]),
	settings.teaching_start,
	settings.teaching_end,
	holiday_note,
])

holiday_note := sprintf("; %s is a holiday", [concat(", ", window_holidays)]) if {
	count(window_holidays) > 0
} else := ""

window_holidays := {seg.date | some seg in input.window.segments; is_date(seg.date); seg.date in settings.holidays}

teaching_evidence := {
	"window": {
		"start_local": object.get(input, ["window", "start_local"], null),
		"end_local": object.get(input, ["window", "end_local"], null),
	},
	"teaching_days": settings.teaching_days,
	"teaching_hours": sprintf("%s-%s", [settings.teaching_start, settings.teaching_end]),
	"holidays_in_window": window_holidays,
	"overlaps": teaching_overlaps,
}
