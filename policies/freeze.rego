# freeze: no deploy, downtime or not, while the planned window overlaps a freeze
# (settings.freezes: ranges of local dates, inclusive, with a reason).
package gatekeeper

import data.gatekeeper.settings

check_freeze := result("freeze", freeze_failures, freeze_pass_detail, freeze_evidence)

freeze_failures contains msg if {
	some f in active_freezes
	msg := sprintf("the window falls in the freeze \"%s\" (%s to %s): no deploys until %s is over", [f.reason, f.from, f.to, f.to])
}

active_freezes contains f if {
	some f in settings.freezes
	some seg in input.window.segments
	seg.date >= f.from
	seg.date <= f.to
}

freeze_pass_detail := "no freeze overlaps the window" if {
	count(settings.freezes) > 0
} else := "no freezes are set"

freeze_evidence := {"freezes": active_freezes, "window_dates": {seg.date | some seg in input.window.segments}}
