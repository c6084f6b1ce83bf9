# teaching_hours (downtime only): the whole planned window lies outside live
# teaching hours. The facts cut the window into local segments (one local date
# and UTC offset each), so no time-zone arithmetic happens here.
package gatekeeper

import data.gatekeeper.settings

check_teaching_hours := r if {
	not downtime
	r := skipped("teaching_hours", "not a downtime deploy: the site stays up")
} else := result("teaching_hours", teaching_failures, teaching_pass_detail, teaching_evidence)

teaching_failures contains "the facts have no planned window" if count(input.window.segments) == 0

teaching_failures contains msg if {
	some seg in teaching_overlaps
	msg := sprintf("the window on %s %s, %s to %s %s, overlaps live teaching hours (%s to %s): pick a time with `gatekeeper window`", [seg.weekday, seg.date, seg.from, seg.to, seg.zone, settings.teaching_start, settings.teaching_end])
}

teaching_overlaps contains seg if {
	some seg in input.window.segments
	seg.weekday in settings.teaching_days
	not seg.date in settings.holidays
	seg.from_minute < hhmm_minutes(settings.teaching_end)
	seg.to_minute > hhmm_minutes(settings.teaching_start)
}

teaching_pass_detail := sprintf("%s to %s lies outside live teaching hours (%s, %s to %s)%s", [
	input.window.start_local,
	input.window.end_local,
	concat(", ", [substring(d, 0, 3) | some d in settings.teaching_days]),
	settings.teaching_start,
	settings.teaching_end,
	holiday_note,
])

holiday_note := sprintf("; %s is a holiday", [concat(", ", window_holidays)]) if {
	count(window_holidays) > 0
} else := ""

window_holidays := {seg.date | some seg in input.window.segments; seg.date in settings.holidays}

teaching_evidence := {
	"window": {"start_local": input.window.start_local, "end_local": input.window.end_local},
	"teaching_days": settings.teaching_days,
	"teaching_hours": sprintf("%s-%s", [settings.teaching_start, settings.teaching_end]),
	"holidays_in_window": window_holidays,
	"overlaps": teaching_overlaps,
}
