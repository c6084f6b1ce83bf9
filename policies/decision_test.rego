package gatekeeper_test

test_green_release_is_allowed if {
	d := decision_for(green)
	d.allow == true
	d.downtime == false
	d.target == "production"
	d.evaluated_at == "2026-11-24T19:00:00Z"
	[c.id | some c in d.checks] == [
		"tests", "release_dependencies", "approval", "throughput", "teaching_hours", "downtime_notice", "freeze",
		"no_open_incident",
	]
}

test_downtime_checks_skip_without_downtime if {
	status(green, "teaching_hours") == "skip"
	status(green, "downtime_notice") == "skip"
}

test_one_failing_check_denies if {
	d := decision_for(object.union(green, {"throughput": {"app": "apangea", "rpm": 17250.9, "window_minutes": 5}}))
	d.allow == false
}

test_empty_input_denies_every_check if {
	d := decision_for({"target": "production", "now": "2026-11-24T19:00:00Z"})
	d.allow == false
	every id in ["tests", "release_dependencies", "approval", "throughput"] {
		status({"target": "production", "now": "2026-11-24T19:00:00Z"}, id) == "fail"
	}
}

test_pending_migrations_make_downtime if {
	decision_for(with_repo(green, {"migrations": ["db/migrate/20261120_x.rb"]})).downtime == true
}

test_unknown_migrations_count_as_downtime if {
	inp := object.union(green, {"repos": [object.remove(green_repo, ["migrations"])]})
	decision_for(inp).downtime == true
}

test_downtime_label_makes_downtime if {
	decision_for(with_pr(green, {"labels": ["release", "downtime"]})).downtime == true
}

test_downtime_label_in_any_case_makes_downtime if {
	decision_for(with_pr(green, {"labels": ["release", "Downtime "]})).downtime == true
	decision_for(with_pr(green, {"labels": ["DOWNTIME"]})).downtime == true
}

test_unreadable_labels_count_as_downtime if {
	decision_for(with_pr(green, {"labels": null})).downtime == true
	decision_for(object.union(green, {"repos": [object.remove(green_repo, ["pull_requests"])]})).downtime == true
}

test_downtime_flag_makes_downtime if {
	decision_for(object.union(green, {"downtime_requested": true})).downtime == true
}

test_vetted_saturday_downtime_is_allowed if {
	d := decision_for(green_downtime)
	d.downtime == true
	d.allow == true
	status(green_downtime, "teaching_hours") == "pass"
	status(green_downtime, "downtime_notice") == "pass"
}

too_busy := object.union(green, {"throughput": {"app": "apangea", "rpm": 17250.9, "window_minutes": 5}})

busy_override := object.union(too_busy, {"overrides": [
	{"check": "throughput", "reason": "traffic spike from a bot", "by": "tim"},
]})

test_override_of_overridable_check_allows_and_keeps_fail if {
	d := decision_for(busy_override)
	d.allow == true
	some c in d.checks
	c.id == "throughput"
	c.status == "fail"
	c.overridden == {"reason": "traffic spike from a bot", "by": "tim"}
}

test_override_of_tests_is_ignored if {
	failed := with_repo(green, {"ci": object.union(green_repo.ci, {"result": "FAILURE"})})
	inp := object.union(failed, {"overrides": [{"check": "tests", "reason": "flaky", "by": "tim"}]})
	d := decision_for(inp)
	d.allow == false
	some c in d.checks
	c.id == "tests"
	not c.overridden
}

test_override_does_not_cover_another_failing_check if {
	inp := with_pr(busy_override, {"reviews": []})
	decision_for(inp).allow == false
}

test_unknown_downtime_request_counts_as_downtime if {
	decision_for(object.remove(green, ["downtime_requested"])).downtime == true
	decision_for(object.union(green, {"downtime_requested": "false"})).downtime == true
}

test_migrations_not_a_list_count_as_downtime if {
	decision_for(with_repo(green, {"migrations": "none"})).downtime == true
}

test_no_evidence_of_a_pass_denies_with_a_reason if {
	inp := with_repo_field(green, "ci", {})
	decision_for(inp).allow == false
	contains(detail(inp, "tests"), "no evidence that")
}
