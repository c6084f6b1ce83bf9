# The guard after a deploy: the app judged by its numbers. `input` is
# {"baseline": FIGURES, "samples": [FIGURES + {"minute"}]}, where FIGURES is
# {"error_pct", "apdex", "count"} from New Relic (null where it had no data).
# `verdict` passes only when the baseline and every sample have data and no sample
# rose more than guard_error_rate_rise_points in error rate or dropped more than
# guard_apdex_drop in apdex. Missing or unreadable data fails.
package gatekeeper.guard

import data.gatekeeper.settings

verdict := {"pass": pass, "reasons": [r | some r in failures]}

default pass := false

pass if {
	has_data(input.baseline)
	is_array(input.samples)
	count(input.samples) > 0
	every s in input.samples {
		has_data(s)
	}
	count(failures) == 0
}

has_data(f) if {
	is_number(f.error_pct)
	is_number(f.apdex)
	is_number(f.count)
	f.count > 0
}

# Helper rules, so that no guard negates a call over a field that might be missing
# (OPA and regorus then agree).
baseline_has_data if has_data(input.baseline)

rise_limit_numeric if is_number(settings.guard_error_rate_rise_points)

drop_limit_numeric if is_number(settings.guard_apdex_drop)

failures contains "no baseline: New Relic had no error rate and apdex for the app before the deploy" if {
	not baseline_has_data
}

failures contains msg if {
	some s in input.samples
	not has_data(s)
	msg := sprintf("minute %v: no data from New Relic", [s.minute])
}

failures contains msg if {
	has_data(input.baseline)
	some s in input.samples
	has_data(s)
	is_number(settings.guard_error_rate_rise_points)
	rise := s.error_pct - input.baseline.error_pct
	rise > settings.guard_error_rate_rise_points
	msg := sprintf("minute %v: error rate %v%% is %v points above the baseline %v%% (limit %v)", [
		s.minute, round_2(s.error_pct), round_2(rise), round_2(input.baseline.error_pct),
		settings.guard_error_rate_rise_points,
	])
}

failures contains msg if {
	has_data(input.baseline)
	some s in input.samples
	has_data(s)
	is_number(settings.guard_apdex_drop)
	drop := input.baseline.apdex - s.apdex
	drop > settings.guard_apdex_drop
	msg := sprintf("minute %v: apdex %v is %v below the baseline %v (limit %v)", [
		s.minute, round_2(s.apdex), round_2(drop), round_2(input.baseline.apdex), settings.guard_apdex_drop,
	])
}

failures contains "the guard's thresholds in the settings are not numbers" if {
	not rise_limit_numeric
}

failures contains "the guard's thresholds in the settings are not numbers" if {
	not drop_limit_numeric
}

round_2(x) := round(x * 100) / 100
