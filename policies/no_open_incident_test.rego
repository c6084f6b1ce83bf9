package gatekeeper_test

open_issue(priority) := {
	"id": "5e0c8f1a-3b7d-4c2e-9f60-000000000001",
	"title": "Error percentage > 5% for at least 5 minutes on 'apangea'",
	"priority": priority,
	"state": "ACTIVATED",
	"entities": ["apangea"],
	"activated_at": "2026-11-24T18:30:00Z",
}

with_incidents(list) := object.union(green, {"incidents": list})

test_no_open_issue_passes if {
	status(green, "no_open_incident") == "pass"
	detail(green, "no_open_incident") == "no open issue of priority CRITICAL or HIGH"
}

test_open_critical_issue_fails_with_its_title if {
	inp := with_incidents([open_issue("CRITICAL")])
	status(inp, "no_open_incident") == "fail"
	decision_for(inp).allow == false
	d := detail(inp, "no_open_incident")
	startswith(d, "CRITICAL issue 5e0c8f1a-3b7d-4c2e-9f60-000000000001 is activated: Error percentage")
	contains(d, "since 2026-11-24T18:30:00Z")
}

test_open_high_issue_fails if {
	status(with_incidents([open_issue("HIGH")]), "no_open_incident") == "fail"
}

test_open_low_issue_passes_and_is_said if {
	inp := with_incidents([open_issue("LOW"), open_issue("MEDIUM")])
	status(inp, "no_open_incident") == "pass"
	detail(inp, "no_open_incident") == "no open issue of priority CRITICAL or HIGH (2 open of lower priority)"
}

test_priorities_come_from_the_settings if {
	inp := with_incidents([open_issue("MEDIUM")])
	status(inp, "no_open_incident") == "fail" with data.gatekeeper.settings.incident_priorities as {"CRITICAL", "MEDIUM"}
	status(with_incidents([open_issue("HIGH")]), "no_open_incident") == "pass" with data.gatekeeper.settings.incident_priorities as {"CRITICAL"}
}

test_unreadable_list_fails_with_the_reason if {
	inp := object.union(object.remove(green, ["incidents"]), {"errors": [
		{"source": "newrelic", "fact": "incidents", "message": "open issues unknown: HTTP 200 with GraphQL errors: boom"},
		{"source": "newrelic", "fact": "throughput", "message": "no data for app apangea"},
	]})
	status(inp, "no_open_incident") == "fail"
	d := detail(inp, "no_open_incident")
	contains(d, "open New Relic issues unknown (newrelic: open issues unknown: HTTP 200 with GraphQL errors: boom)")
	not contains(d, "no data for app")
}

test_issue_without_priority_fails if {
	inp := with_incidents([object.remove(open_issue("LOW"), ["priority"])])
	status(inp, "no_open_incident") == "fail"
	contains(detail(inp, "no_open_incident"), "has no priority")
}

test_list_of_the_wrong_type_fails if {
	status(with_incidents("none"), "no_open_incident") == "fail"
}

test_priorities_not_a_set_fail_closed if {
	status(green, "no_open_incident") == "fail" with data.gatekeeper.settings.incident_priorities as "CRITICAL"
}

test_open_critical_issue_may_be_overridden if {
	inp := object.union(with_incidents([open_issue("CRITICAL")]), {"overrides": [
		{"check": "no_open_incident", "reason": "this deploy is the fix", "by": "tim"},
	]})
	decision_for(inp).allow == true
}
