package gatekeeper

busy(rpm) := object.union(green, {"throughput": {"app": "apangea", "rpm": rpm, "window_minutes": 5}})

test_quiet_app_passes if {
	status(green, "throughput") == "pass"
	detail(green, "throughput") == "9800 rpm over the last 5 minutes (limit 15000)"
}

test_exactly_15000_rpm_fails if {
	status(busy(15000), "throughput") == "fail"
}

test_just_under_the_limit_passes if {
	status(busy(14999.9), "throughput") == "pass"
}

test_busy_app_fails_with_numbers if {
	status(busy(17250.9), "throughput") == "fail"
	startswith(detail(busy(17250.9), "throughput"), "17250 rpm over the last 5 minutes (limit 15000)")
}

test_missing_measurement_fails_with_the_reason if {
	inp := object.union(object.remove(green, ["throughput"]), {"errors": [{"source": "newrelic", "message": "no data for app apangea"}]})
	status(inp, "throughput") == "fail"
	contains(detail(inp, "throughput"), "newrelic: no data for app apangea")
}
