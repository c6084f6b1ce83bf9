# throughput: New Relic throughput of the app is under the limit. A missing
# measurement (New Relic down, no data for the app) fails: quiet is not unknown.
package gatekeeper

import data.gatekeeper.settings

check_throughput := result("throughput", throughput_failures, throughput_pass_detail, throughput_evidence)

throughput_failures contains msg if {
	not input.throughput
	msg := sprintf("no throughput measurement (%s)", [source_reason("newrelic")])
}

throughput_failures contains msg if {
	input.throughput.rpm >= settings.throughput_limit_rpm
	msg := sprintf("%s rpm over the last %v minutes (limit %v): deploy when traffic is lower", [format_int(input.throughput.rpm, 10), input.throughput.window_minutes, settings.throughput_limit_rpm])
}

default throughput_pass_detail := "no measurement"

throughput_pass_detail := sprintf("%s rpm over the last %v minutes (limit %v)", [format_int(input.throughput.rpm, 10), input.throughput.window_minutes, settings.throughput_limit_rpm])

throughput_evidence := {
	"app": object.get(input, ["throughput", "app"], null),
	"rpm": object.get(input, ["throughput", "rpm"], null),
	"window_minutes": object.get(input, ["throughput", "window_minutes"], null),
	"limit": settings.throughput_limit_rpm,
}
