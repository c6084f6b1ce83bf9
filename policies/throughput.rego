# throughput: New Relic throughput of the app is under the limit. A missing
# measurement (New Relic down, no data for the app) fails: quiet is not unknown.
package gatekeeper

import data.gatekeeper.settings

check_throughput := result(
	"throughput",
	throughput_pass,
	throughput_failures,
	throughput_pass_detail,
	throughput_evidence,
)

default throughput_pass := false

throughput_pass if under_limit(input.throughput.rpm, settings.throughput_limit_rpm)

# Both are numbers, and the rate is above nothing and strictly under the limit: no
# traffic at all is what a wrong app name looks like, so it is no measurement.
under_limit(rpm, limit) if {
	is_number(rpm)
	is_number(limit)
	rpm > 0
	rpm < limit
}

throughput_failures contains msg if {
	not input.throughput
	msg := sprintf("no throughput measurement (%s)", [top_reason("newrelic", "throughput")])
}

throughput_failures contains msg if {
	is_number(input.throughput.rpm)
	input.throughput.rpm <= 0
	msg := sprintf("%v rpm is no measurement of live traffic: check targets.*.app against New Relic's appName", [input.throughput.rpm])
}

throughput_failures contains msg if {
	is_number(input.throughput.rpm)
	is_number(settings.throughput_limit_rpm)
	input.throughput.rpm >= settings.throughput_limit_rpm
	msg := sprintf("%s rpm over the last %v minutes (limit %v): deploy when traffic is lower", [
		format_int(input.throughput.rpm, 10), input.throughput.window_minutes, settings.throughput_limit_rpm,
	])
}

throughput_failures contains msg if {
	input.throughput
	not rpm_measured(input)
	msg := sprintf("the measured throughput %v is not a number of requests per minute", [input.throughput.rpm])
}

# Guards negate these helpers, never a builtin call on a field that may be absent.
rpm_measured(inp) if is_number(inp.throughput.rpm)

limit_numeric(s) if is_number(s.throughput_limit_rpm)

throughput_failures contains msg if {
	not limit_numeric(settings)
	msg := sprintf("the setting throughput_limit_rpm is %v, not a number: write it unquoted, e.g. 15000", [
		settings.throughput_limit_rpm,
	])
}

default throughput_pass_detail := "no measurement"

throughput_pass_detail := sprintf("%s rpm over the last %v minutes (limit %v)", [
	format_int(input.throughput.rpm, 10), input.throughput.window_minutes, settings.throughput_limit_rpm,
]) if is_number(input.throughput.rpm)

throughput_evidence := {
	"app": object.get(input, ["throughput", "app"], null),
	"rpm": object.get(input, ["throughput", "rpm"], null),
	"window_minutes": object.get(input, ["throughput", "window_minutes"], null),
	"limit": settings.throughput_limit_rpm,
}
