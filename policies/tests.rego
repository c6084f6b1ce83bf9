# tests: every release repo's Jenkins job last completed SUCCESS, and that build
# built the release head SHA.
package gatekeeper

check_tests := result("tests", tests_pass, tests_failures, tests_pass_detail, tests_evidence)

default tests_pass := false

tests_pass if {
	has_repos
	every repo in input.repos {
		build_of_head_passed(repo)
		has_every_base_commit(repo)
	}
}

# The release branch lacks no commit of the base branch (GitHub compare behind_by).
has_every_base_commit(repo) if {
	is_number(repo.behind_by)
	repo.behind_by == 0
}

# The repo's last completed build succeeded, on the head of its release branch.
build_of_head_passed(repo) if {
	is_object(repo.ci)
	repo.ci.building == false
	repo.ci.result == "SUCCESS"
	is_string(repo.release_sha)
	is_string(repo.ci.sha)
	repo.ci.sha == repo.release_sha
}

tests_failures contains no_repos_reason if not has_repos

tests_failures contains msg if {
	some repo in input.repos
	not repo.ci
	reason := repo_reason("jenkins", repo.name)
	msg := sprintf("%s: no Jenkins result for job %s (%s)", [repo.name, repo.jenkins_job, reason])
}

tests_failures contains msg if {
	some repo in input.repos
	repo.ci.building == true
	msg := sprintf("%s: Jenkins build #%v of %s is still running", [repo.name, repo.ci.number, repo.jenkins_job])
}

tests_failures contains msg if {
	some repo in input.repos
	is_object(repo.ci)
	repo.ci.result != "SUCCESS"
	msg := sprintf("%s: Jenkins build #%v of %s is %v, not SUCCESS (%s)", [
		repo.name, repo.ci.number, repo.jenkins_job, repo.ci.result, repo.ci.url,
	])
}

tests_failures contains msg if {
	some repo in input.repos
	not release_sha_known(repo)
	msg := sprintf("%s: head of %s unknown (%s)", [repo.name, repo.release_branch, fact_reason("github", repo.name, "release_sha")])
}

tests_failures contains msg if {
	some repo in input.repos
	is_object(repo.ci)
	is_string(repo.release_sha)
	repo.ci.sha != repo.release_sha
	msg := sprintf("%s: Jenkins build #%v built %s, but the head of %s is %s: wait for CI on the new head", [
		repo.name, repo.ci.number, short(repo.ci.sha), repo.release_branch, short(repo.release_sha),
	])
}

# The tests ran on the release head: it must hold every commit of the base branch,
# or what ships (base merged with release) is not what was tested.
tests_failures contains msg if {
	some repo in input.repos
	not behind_by_known(repo)
	msg := sprintf("%s: cannot tell whether %s has every commit of %s (%s)", [
		repo.name, repo.release_branch, repo.base_branch, fact_reason("github", repo.name, "behind_by"),
	])
}

tests_failures contains msg if {
	some repo in input.repos
	is_number(repo.behind_by)
	repo.behind_by > 0
	msg := sprintf("%s: %s lacks %v commits of %s: merge %s into %s and rerun the tests", [
		repo.name, repo.release_branch, repo.behind_by, repo.base_branch, repo.base_branch, repo.release_branch,
	])
}

tests_pass_detail := concat("; ", [msg |
	some repo in input.repos
	msg := sprintf("%s: build #%v passed on %s", [repo.name, repo.ci.number, short(repo.ci.sha)])
])

tests_evidence := [{
	"repo": repo.name,
	"job": repo.jenkins_job,
	"build": object.get(repo, ["ci", "number"], null),
	"result": object.get(repo, ["ci", "result"], null),
	"built_sha": object.get(repo, ["ci", "sha"], null),
	"release_sha": object.get(repo, "release_sha", null),
	"behind_by": object.get(repo, "behind_by", null),
} |
	some repo in input.repos
]
