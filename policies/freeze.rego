# freeze: no deploy, downtime or not, while the planned window overlaps a freeze
# (settings.freezes: ranges of local dates, inclusive, with a reason).
package gatekeeper

import data.gatekeeper.settings

check_freeze := result("freeze", freeze_pass, freeze_failures, freeze_pass_detail, freeze_evidence)

default freeze_pass := false

freeze_pass if {
	is_array(input.window.segments)
	count(input.window.segments) > 0
	every seg in input.window.segments {
		is_date(seg.date)
	}
	is_collection(settings.freezes)
	every f in settings.freezes {
		valid_freeze(f)
		every seg in input.window.segments {
			not in_freeze(seg, f)
		}
	}
}

# A freeze is exactly {"from", "to", "reason"}, with ISO dates, from <= to.
valid_freeze(f) if {
	is_object(f)
	object.keys(f) == {"from", "to", "reason"}
	is_date(f.from)
	is_date(f.to)
	f.from <= f.to
	is_string(f.reason)
}

in_freeze(seg, f) if {
	seg.date >= f.from
	seg.date <= f.to
}

freeze_failures contains msg if {
	some f in active_freezes
	msg := sprintf("the window falls in the freeze \"%s\" (%s to %s): no deploys until %s is over", [
		f.reason, f.from, f.to, f.to,
	])
}

freeze_failures contains msg if {
	is_collection(settings.freezes)
	some f in settings.freezes
	not valid_freeze(f)
	msg := sprintf("the setting freezes holds %v, %s", [
		f, "not {\"from\": \"YYYY-MM-DD\", \"to\": \"YYYY-MM-DD\", \"reason\": \"…\"} with from <= to",
	])
}

active_freezes contains f if {
	is_collection(settings.freezes)
	some f in settings.freezes
	valid_freeze(f)
	some seg in input.window.segments
	is_date(seg.date)
	in_freeze(seg, f)
}

# A guard negates this helper, never `is_collection` on a setting that may be absent.
freezes_listed(s) if is_collection(s.freezes)

freeze_failures contains msg if {
	not freezes_listed(settings)
	msg := sprintf("the setting freezes is %v, not a list of freezes", [settings.freezes])
}

freeze_pass_detail := "no freeze overlaps the window" if {
	count(settings.freezes) > 0
} else := "no freezes are set"

freeze_evidence := {"freezes": active_freezes, "window_dates": {seg.date | some seg in input.window.segments}}
