package gatekeeper.guard_test

import data.gatekeeper.guard

figures(error_pct, apdex) := {"error_pct": error_pct, "apdex": apdex, "count": 9700}

sample(minute, error_pct, apdex) := object.union(figures(error_pct, apdex), {"minute": minute})

baseline := figures(0.42, 0.94)

# The thresholds the tests are written for: the team's own (settings.rego) may differ.
guard_settings := {"guard_error_rate_rise_points": 2, "guard_apdex_drop": 0.05}

judged(samples) := judged_with(samples, {})

judged_with(samples, patch) := v if {
	v := guard.verdict with input as {"baseline": baseline, "samples": samples}
		with data.gatekeeper.settings as object.union(guard_settings, patch)
}

test_flat_minutes_pass if {
	v := judged([sample(1, 0.5, 0.93), sample(2, 1.9, 0.92)])
	v.pass == true
	v.reasons == []
}

test_error_rate_rising_more_than_the_limit_fails if {
	v := judged([sample(1, 0.5, 0.93), sample(2, 6.25, 0.93)])
	v.pass == false
	v.reasons == ["minute 2: error rate 6.25% is 5.83 points above the baseline 0.42% (limit 2)"]
}

test_apdex_dropping_more_than_the_limit_fails if {
	v := judged([sample(1, 0.5, 0.71)])
	v.pass == false
	v.reasons == ["minute 1: apdex 0.71 is 0.23 below the baseline 0.94 (limit 0.05)"]
}

test_a_minute_without_data_fails if {
	v := judged([sample(1, null, null)])
	v.pass == false
	v.reasons == ["minute 1: no data from New Relic"]
	judged([object.union(sample(1, 0.4, 0.9), {"count": 0})]).pass == false
}

test_no_baseline_fails if {
	v := guard.verdict with input as {"baseline": figures(null, 0.9), "samples": [sample(1, 0.4, 0.93)]}
		with data.gatekeeper.settings as guard_settings
	v.pass == false
}

test_no_samples_fail if {
	judged([]).pass == false
}

test_thresholds_come_from_the_settings if {
	judged_with([sample(1, 2.0, 0.93)], {"guard_error_rate_rise_points": 1}).pass == false
	judged_with([sample(1, 0.4, 0.80)], {"guard_apdex_drop": 0.2}).pass == true
	judged_with([sample(1, 0.4, 0.93)], {"guard_apdex_drop": "0.2"}).pass == false
}
