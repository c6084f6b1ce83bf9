package gatekeeper_test

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
	inp := object.union(object.remove(green, ["throughput"]), {"errors": [
		{"source": "newrelic", "message": "no data for app apangea"},
	]})
	status(inp, "throughput") == "fail"
	contains(detail(inp, "throughput"), "newrelic: no data for app apangea")
}

test_no_traffic_at_all_is_no_measurement if {
	inp := object.union(green, {"throughput": object.union(green.throughput, {"rpm": 0})})
	status(inp, "throughput") == "fail"
	contains(detail(inp, "throughput"), "0 rpm is no measurement of live traffic")
	neg := object.union(green, {"throughput": object.union(green.throughput, {"rpm": -17250})})
	status(neg, "throughput") == "fail"
}

test_rpm_as_a_string_fails if {
	inp := busy("9800")
	status(inp, "throughput") == "fail"
	contains(detail(inp, "throughput"), "the measured throughput 9800 is not a number")
}

test_quoted_limit_fails_even_when_quiet if {
	status_with(green, "throughput", {"throughput_limit_rpm": "15000"}) == "fail"
	d := detail_with(green, "throughput", {"throughput_limit_rpm": "15000"})
	contains(d, "throughput_limit_rpm is 15000, not a number")
}

test_quoted_limit_does_not_let_17250_rpm_pass if {
	status_with(busy(17250), "throughput", {"throughput_limit_rpm": "15000"}) == "fail"
}

test_measurement_without_rpm_fails_for_want_of_evidence if {
	inp := object.union(object.remove(green, ["throughput"]), {"throughput": {"app": "apangea", "window_minutes": 5}})
	status(inp, "throughput") == "fail"
	detail(inp, "throughput") == "no evidence that New Relic throughput is under the limit"
}
