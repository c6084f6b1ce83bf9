package gatekeeper_test

test_tests_pass_on_green if {
	status(green, "tests") == "pass"
	contains(detail(green, "tests"), "build #1187 passed on 3f2a9c1")
}

test_failed_build_fails if {
	inp := with_repo(green, {"ci": object.union(green_repo.ci, {"result": "FAILURE"})})
	status(inp, "tests") == "fail"
	contains(detail(inp, "tests"), "is FAILURE, not SUCCESS")
}

test_unstable_build_fails if {
	status(with_repo(green, {"ci": object.union(green_repo.ci, {"result": "UNSTABLE"})}), "tests") == "fail"
}

test_build_still_running_fails if {
	inp := with_repo(green, {"ci": object.union(green_repo.ci, {"building": true, "result": null})})
	status(inp, "tests") == "fail"
	contains(detail(inp, "tests"), "still running")
}

test_build_of_an_older_commit_fails if {
	inp := with_repo(green, {"ci": object.union(green_repo.ci, {"sha": old_sha})})
	status(inp, "tests") == "fail"
	contains(detail(inp, "tests"), "built 9b8a7c6, but the head of rc is 3f2a9c1")
}

test_build_without_a_checkout_of_the_repo_fails if {
	inp := with_repo(green, {"ci": object.union(green_repo.ci, {"sha": null})})
	status(inp, "tests") == "fail"
	contains(detail(inp, "tests"), "built no commit")
}

test_jenkins_down_fails_with_the_reason if {
	inp := object.union(
		object.union(green, {"repos": [object.remove(green_repo, ["ci"])]}),
		{"errors": [{"source": "jenkins", "message": "apangea-rc: 503 Service Unavailable"}]},
	)
	status(inp, "tests") == "fail"
	contains(detail(inp, "tests"), "jenkins: apangea-rc: 503 Service Unavailable")
}

test_no_repos_fails if {
	inp := object.union(green, {"repos": []})
	status(inp, "tests") == "fail"
	status(inp, "approval") == "fail"
	status(inp, "release_dependencies") == "fail"
}

test_jenkins_error_of_another_repo_is_not_blamed if {
	inp := object.union(
		object.union(green, {"repos": [object.remove(green_repo, ["ci"])]}),
		{"errors": [
			{"source": "jenkins", "repo": "thinkthroughmath/lesson-content", "message": "lesson-content/job/rc: 404"},
			{"source": "jenkins", "repo": "thinkthroughmath/apangea", "message": "apangea-rc: 401"},
		]},
	)
	contains(detail(inp, "tests"), "jenkins: apangea-rc: 401")
	not contains(detail(inp, "tests"), "404")
}

test_unknown_release_head_fails_with_the_reason if {
	inp := object.union(
		object.union(green, {"repos": [object.remove(green_repo, ["release_sha"])]}),
		{"errors": [{"source": "github", "message": "401 Bad credentials"}]},
	)
	status(inp, "tests") == "fail"
	contains(detail(inp, "tests"), "head of rc unknown (github: 401 Bad credentials)")
}

# A check names the errors behind the facts it lacks, not the repo's other errors.
test_an_unknown_head_names_only_its_own_error if {
	inp := object.union(
		object.union(green, {"repos": [object.remove(green_repo, ["release_sha", "behind_by"])]}),
		{"errors": [
			{"source": "github", "repo": green_repo.name, "fact": "release_sha", "message": "head of rc unknown: HTTP 502"},
			{"source": "github", "repo": green_repo.name, "fact": "behind_by", "message": "behind unknown: the head of rc is unknown"},
			{"source": "github", "repo": green_repo.name, "fact": "reviews", "message": "reviews of #412 unknown: HTTP 500"},
		]},
	)
	contains(detail(inp, "tests"), "head of rc unknown (github: head of rc unknown: HTTP 502)")
	contains(detail(inp, "tests"), "(github: behind unknown: the head of rc is unknown)")
	not contains(detail(inp, "tests"), "reviews of #412")
}

# An error about the whole repo (no `fact`) explains every fact of it.
test_an_error_about_the_whole_repo_explains_each_fact if {
	inp := object.union(
		object.union(green, {"repos": [object.remove(green_repo, ["release_sha"])]}),
		{"errors": [
			{"source": "github", "repo": green_repo.name, "message": "repository not found"},
			{"source": "github", "repo": green_repo.name, "fact": "migrations", "message": "compare: HTTP 404"},
		]},
	)
	contains(detail(inp, "tests"), "head of rc unknown (github: repository not found)")
	not contains(detail(inp, "tests"), "compare: HTTP 404")
}

test_build_with_unknown_building_state_fails if {
	inp := with_repo_field(green, "ci", object.remove(green_repo.ci, ["building"]))
	status(inp, "tests") == "fail"
	detail(inp, "tests") == "no evidence that every release repo's Jenkins build of the release head passed"
}

test_building_as_a_string_fails if {
	status(with_repo(green, {"ci": object.union(green_repo.ci, {"building": "false"})}), "tests") == "fail"
}

test_build_of_an_unknown_commit_with_unknown_head_fails if {
	inp := with_repo_field(with_repo_field(green, "ci", object.remove(green_repo.ci, ["sha"])), "release_sha", null)
	status(inp, "tests") == "fail"
	contains(detail(inp, "tests"), "head of rc unknown")
}

test_repos_not_a_list_fails if {
	status(object.union(green, {"repos": {"a": green_repo}}), "tests") == "fail"
}

test_release_branch_behind_the_base_fails if {
	inp := with_repo(green, {"behind_by": 3})
	status(inp, "tests") == "fail"
	detail(inp, "tests") == "thinkthroughmath/apangea: rc lacks 3 commits of master: merge master into rc and rerun the tests"
}

test_unknown_behind_by_fails_with_the_reason if {
	inp := object.union(
		object.union(green, {"repos": [object.remove(green_repo, ["behind_by"])]}),
		{"errors": [{"source": "github", "message": "compare master...rc: HTTP 404"}]},
	)
	status(inp, "tests") == "fail"
	contains(detail(inp, "tests"), "cannot tell whether rc has every commit of master (github: compare master...rc: HTTP 404)")
}

test_behind_by_of_the_wrong_type_fails if {
	status(with_repo(green, {"behind_by": "0"}), "tests") == "fail"
}
