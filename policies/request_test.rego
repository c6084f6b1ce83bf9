package gatekeeper_test

asked_by(inp, actor) := object.union(inp, {"request": {
	"via": "chatops",
	"actor": actor,
	"role": "write",
	"comment_url": "https://github.com/thinkthroughmath/apangea/pull/412#issuecomment-1",
	"command": "/deploy production",
}})

test_a_request_changes_nothing_by_default if {
	status(asked_by(green, "bob"), "approval") == "pass"
	decision_for(asked_by(green, "bob")).allow
}

test_a_terminal_deploy_is_not_held_to_the_chatops_rules if {
	inp := green
	status_with(inp, "approval", {"deployers": ["jim"]}) == "pass"
	status_with(inp, "approval", {"asker_not_only_approver": true}) == "pass"
}

test_an_asker_not_among_the_deployers_fails if {
	inp := asked_by(green, "bob")
	status_with(inp, "approval", {"deployers": ["jim", "tim"]}) == "fail"
	msg := detail_with(inp, "approval", {"deployers": ["jim", "tim"]})
	contains(msg, "bob asked in a comment but is not in the setting `deployers` (jim, tim)")
}

test_a_deployer_passes_in_any_case if {
	status_with(asked_by(green, "Jim"), "approval", {"deployers": ["jim"]}) == "pass"
}

test_the_asker_as_the_only_approver_fails_when_asked_for if {
	inp := asked_by(green, "tim")
	status(inp, "approval") == "pass"
	status_with(inp, "approval", {"asker_not_only_approver": true}) == "fail"
	msg := detail_with(inp, "approval", {"asker_not_only_approver": true})
	contains(msg, "no approver other than tim, who asked, approved the head")
}

test_another_approver_clears_the_asker_rule if {
	inp := asked_by(green, "bob")
	status_with(inp, "approval", {"asker_not_only_approver": true}) == "pass"
}

test_an_unreadable_request_fails if {
	inp := object.union(green, {"request": {"via": "chatops"}})
	status(inp, "approval") == "fail"
	contains(detail(inp, "approval"), "the request (who asked in a comment) is unreadable")
	status(object.union(green, {"request": null}), "approval") == "fail"
}
