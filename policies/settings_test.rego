# The team's own settings, pinned: edit this file together with settings.rego. No
# other test depends on these values (the rules' tests use fixture_settings in
# testdata_test.rego), so a settings edit fails only the line here that names it.
package gatekeeper_settings_test

import data.gatekeeper.settings

test_the_throughput_limit if {
	settings.throughput_limit_rpm == 15000
}

test_the_notice_lead_time if {
	settings.notice_lead_hours == 72
}

test_the_approvers if {
	settings.approvers == ["tim"]
}

test_the_vetters if {
	settings.vetters == ["tim", "jim"]
}

test_the_teaching_hours if {
	settings.teaching_days == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
	settings.teaching_start == "07:00"
	settings.teaching_end == "21:00"
}

test_the_holidays_and_freezes if {
	settings.holidays == set()
	settings.freezes == []
}

test_what_may_be_overridden if {
	settings.overridable == {"throughput", "teaching_hours", "no_open_incident"}
}

test_the_open_incidents_that_block if {
	settings.incident_priorities == {"CRITICAL", "HIGH"}
}

test_the_guard_after_a_deploy if {
	settings.guard_error_rate_rise_points == 2
	settings.guard_apdex_drop == 0.05
}

test_the_release_note_sections_that_do_not_block if {
	settings.non_blocking_sections == ["QA"]
}
