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

test_an_unticked_task_outside_the_dependencies_fails if {
	inp := with_pr(green, {"tasks": [{"text": "flag created", "done": false, "sections": ["Deps"]}]})
	status(inp, "release_dependencies") == "fail"
	want := concat("", [
		"thinkthroughmath/apangea#412: task not done: flag created (under Deps): tick it, ",
		"or name its section in the setting non_blocking_sections if it does not hold up a deploy",
	])
	detail(inp, "release_dependencies") == want
}

test_an_unticked_task_in_no_section_fails if {
	inp := with_pr(green, {"tasks": [{"text": "flag created", "done": false, "sections": []}]})
	contains(detail(inp, "release_dependencies"), "task not done: flag created (in no section)")
}

test_an_unticked_task_in_a_non_blocking_section_passes if {
	every sections in [["QA"], ["Release", "qa"], ["QA", "Backend"]] {
		inp := with_pr(green, {"tasks": [{"text": "smoke", "done": false, "sections": sections}]})
		status(inp, "release_dependencies") == "pass"
	}
}

test_the_non_blocking_sections_come_from_the_settings if {
	inp := with_pr(green, {"tasks": [{"text": "email support", "done": false, "sections": ["Manual tasks"]}]})
	status(inp, "release_dependencies") == "fail"
	status(inp, "release_dependencies") == "pass" with data.gatekeeper.settings.non_blocking_sections as ["QA", "Manual tasks"]
	# A section named like one is not one.
	near := with_pr(green, {"tasks": [{"text": "smoke", "done": false, "sections": ["QA later"]}]})
	status(near, "release_dependencies") == "fail"
}

test_ticked_tasks_anywhere_pass if {
	inp := with_pr(green, {"dependencies_section": false, "tasks": [{"text": "a", "done": true, "sections": []}]})
	status(inp, "release_dependencies") == "pass"
}

test_unknown_or_malformed_tasks_fail if {
	every pr in [
		object.remove(green_pr, ["tasks"]),
		object.union(green_pr, {"tasks": 1}),
		object.union(green_pr, {"tasks": [{"text": "a", "done": "false", "sections": ["QA"]}]}),
		object.union(green_pr, {"tasks": [{"text": "a", "done": false, "sections": "QA"}]}),
		object.union(green_pr, {"tasks": [{"text": "a", "done": false}]}),
	] {
		status(with_repo(green, {"pull_requests": [pr]}), "release_dependencies") == "fail"
	}
	inp := with_repo(green, {"pull_requests": [object.remove(green_pr, ["tasks"])]})
	contains(detail(inp, "release_dependencies"), "the task items of the release notes are unknown")
}
