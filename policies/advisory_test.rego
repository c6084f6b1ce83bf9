package gatekeeper_test

# Advisory checks (settings `advisory`) are evaluated and marked, and never count
# towards a deny; without the setting every check gates.

advisory_busy := object.union(green, {"throughput": {"app": "apangea", "rpm": 17250, "window_minutes": 5}})

test_an_advisory_failing_check_is_marked_and_does_not_deny if {
	d := decision_with(advisory_busy, {"advisory": {"throughput"}})
	d.allow == true
	some c in d.checks
	c.id == "throughput"
	c.status == "fail"
	c.advisory == true
}

test_without_advisory_the_same_check_denies if {
	d := decision_with(advisory_busy, {"advisory": set()})
	d.allow == false
	every c in d.checks {
		not c.advisory
	}
}

test_an_advisory_check_does_not_wave_through_another if {
	inp := object.union(advisory_busy, {"repos": [object.union(green_repo, {"ci": null})]})
	d := decision_with(inp, {"advisory": {"throughput"}})
	d.allow == false
}
