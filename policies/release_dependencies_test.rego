package gatekeeper_test

test_met_dependencies_pass if {
	status(green, "release_dependencies") == "pass"
	detail(green, "release_dependencies") == "all 1 listed dependencies are met"
}

test_unmet_dependency_fails_and_names_it if {
	inp := with_pr(green, {"dependencies": [
		{"text": "gradebook-service 2.3 deployed", "done": true, "task": true},
		{"text": "feature flag new_gradebook created", "done": false, "task": true},
	]})
	status(inp, "release_dependencies") == "fail"
	want := "thinkthroughmath/apangea#412: dependency not met: feature flag new_gradebook created"
	detail(inp, "release_dependencies") == want
}

test_no_dependencies_pass if {
	status(with_pr(green, {"dependencies": []}), "release_dependencies") == "pass"
}

test_no_release_pull_request_fails if {
	inp := with_repo(green, {"pull_requests": []})
	status(inp, "release_dependencies") == "fail"
	contains(detail(inp, "release_dependencies"), "no open pull request from rc into master")
	status(inp, "approval") == "fail"
}

test_unknown_pull_requests_fail_with_the_reason if {
	inp := object.union(
		object.union(green, {"repos": [object.remove(green_repo, ["pull_requests"])]}),
		{"errors": [{"source": "github", "message": "401 Bad credentials"}]},
	)
	status(inp, "release_dependencies") == "fail"
	contains(detail(inp, "release_dependencies"), "github: 401 Bad credentials")
}

test_dependency_done_as_a_string_fails if {
	inp := with_pr(green, {"dependencies": [{"text": "gradebook-service 2.3 deployed", "done": "true", "task": true}]})
	status(inp, "release_dependencies") == "fail"
	contains(detail(inp, "release_dependencies"), "dependency not met: gradebook-service 2.3 deployed")
}

test_dependency_without_done_fails if {
	inp := with_pr(green, {"dependencies": [{"text": "gradebook-service 2.3 deployed"}]})
	status(inp, "release_dependencies") == "fail"
}

test_unknown_dependencies_fail if {
	inp := with_repo(green, {"pull_requests": [object.remove(green_pr, ["dependencies"])]})
	status(inp, "release_dependencies") == "fail"
	detail(inp, "release_dependencies") == "no evidence that every release pull request's dependencies are met"
}

test_plain_bullet_fails_asking_for_a_task_item if {
	inp := with_pr(green, {"dependencies": [{"text": "gradebook-service 2.3 deployed", "done": false, "task": false}]})
	status(inp, "release_dependencies") == "fail"
	detail(inp, "release_dependencies") == "thinkthroughmath/apangea#412: gradebook-service 2.3 deployed: write it as a task item `- [ ]` so it can be ticked"
}

test_item_without_task_flag_fails if {
	inp := with_pr(green, {"dependencies": [{"text": "gradebook-service 2.3 deployed", "done": true}]})
	status(inp, "release_dependencies") == "fail"
}

test_task_items_without_a_dependencies_section_fail if {
	inp := with_pr(green, {"dependencies": [], "dependencies_section": false, "tasks_outside": 2})
	status(inp, "release_dependencies") == "fail"
	want := concat("", [
		"thinkthroughmath/apangea#412: found 2 task items outside a Dependencies section, and no such section: ",
		"list the dependencies as task items under a `## Dependencies` heading ",
		"(or write `## Dependencies` and `none` when there are none)",
	])
	detail(inp, "release_dependencies") == want
}

test_task_items_outside_an_empty_dependencies_section_pass if {
	inp := with_pr(green, {"dependencies": [], "dependencies_section": true, "tasks_outside": 2})
	status(inp, "release_dependencies") == "pass"
}

test_no_task_items_and_no_section_pass if {
	inp := with_pr(green, {"dependencies": [], "dependencies_section": false, "tasks_outside": 0})
	status(inp, "release_dependencies") == "pass"
}

test_unknown_section_or_outside_count_fails if {
	every field in ["dependencies_section", "tasks_outside"] {
		inp := with_repo(green, {"pull_requests": [object.remove(green_pr, [field])]})
		status(inp, "release_dependencies") == "fail"
	}
}

test_outside_count_as_a_string_fails if {
	inp := with_pr(green, {"dependencies": [], "dependencies_section": false, "tasks_outside": "2"})
	status(inp, "release_dependencies") == "fail"
}

test_section_flag_as_a_string_fails if {
	inp := with_pr(green, {"dependencies": [], "dependencies_section": "true", "tasks_outside": 2})
	status(inp, "release_dependencies") == "fail"
}
