# release_dependencies: every item of the Dependencies section (a heading or a
# label paragraph such as `**Dependencies:**`) of each release pull request is a
# ticked task item. A body with task items but no Dependencies section fails:
# its dependencies may be written in a form gatekeeper cannot read (`## Deps`,
# `**Prerequisites:**`), so nothing proves them met.
package gatekeeper

check_release_dependencies := result(
	"release_dependencies",
	dependencies_pass,
	dependencies_failures,
	dependencies_pass_detail,
	dependencies_evidence,
)

default dependencies_pass := false

dependencies_pass if {
	has_repos
	every repo in input.repos {
		has_release_prs(repo)
		every pr in repo.pull_requests {
			dependencies_met(pr)
		}
	}
}

# The pull request's release notes list their dependencies, and every one is met.
dependencies_met(pr) if {
	is_array(pr.dependencies)
	is_boolean(pr.dependencies_section)
	is_number(pr.tasks_outside)
	not unread_tasks(pr)
	every dep in pr.dependencies {
		dependency_met(dep)
	}
}

# One listed dependency is a task item, and ticked.
dependency_met(dep) if {
	dep.task == true
	dep.done == true
}

dependencies_failures contains no_repos_reason if not has_repos

# Missing or unknown release pull requests fail here and in approval alike.
release_pr_failures contains msg if {
	some repo in input.repos
	not repo.pull_requests
	msg := sprintf("%s: release pull request unknown (%s)", [repo.name, fact_reason("github", repo.name, "pull_requests")])
}

release_pr_failures contains msg if {
	some repo in input.repos
	is_array(repo.pull_requests)
	count(repo.pull_requests) == 0
	msg := sprintf("%s: no open pull request from %s into %s", [repo.name, repo.release_branch, repo.base_branch])
}

dependencies_failures contains msg if some msg in release_pr_failures

dependencies_failures contains msg if {
	some repo in input.repos
	some pr in repo.pull_requests
	some dep in pr.dependencies
	dep.task == true
	not dependency_met(dep)
	msg := sprintf("%s#%v: dependency not met: %v", [repo.name, pr.number, dep.text])
}

# A plain list item in the section has no box to tick: it can never be met.
dependencies_failures contains msg if {
	some repo in input.repos
	some pr in repo.pull_requests
	some dep in pr.dependencies
	not task_item(dep)
	msg := sprintf("%s#%v: %v: write it as a task item `- [ ]` so it can be ticked", [
		repo.name, pr.number, dep.text,
	])
}

# Task items in the body, none in a Dependencies section: they may be the
# dependencies, written where gatekeeper cannot read them.
# A helper, so that `not task_item(dep)` is the same in every Rego engine.
task_item(dep) if dep.task == true

unread_tasks(pr) if {
	pr.dependencies_section == false
	is_number(pr.tasks_outside)
	pr.tasks_outside > 0
}

dependencies_failures contains msg if {
	some repo in input.repos
	some pr in repo.pull_requests
	unread_tasks(pr)
	msg := sprintf(
		concat("", [
			"%s#%v: found %v task items outside a Dependencies section, and no such section: ",
			"list the dependencies as task items under a `## Dependencies` heading ",
			"(or write `## Dependencies` and `none` when there are none)",
		]),
		[repo.name, pr.number, pr.tasks_outside],
	)
}

dependencies_pass_detail := sprintf("all %v listed dependencies are met", [count(all_dependencies)]) if {
	count(all_dependencies) > 0
} else := "the release notes list no dependencies"

all_dependencies := [dep |
	some repo in input.repos
	some pr in repo.pull_requests
	some dep in pr.dependencies
]

dependencies_evidence := [{"repo": repo.name, "pull_request": pr.number, "dependencies": pr.dependencies} |
	some repo in input.repos
	some pr in repo.pull_requests
]
