# release_dependencies: every item of every Dependencies section (a heading, a
# label paragraph such as `**Dependencies:**`, a `<details>` whose summary names
# it…) of each release pull request is a ticked task item, and every task item
# elsewhere in the body is ticked too, unless it sits in a section that the
# setting `non_blocking_sections` names (`## QA`): an unticked box blocks the
# deploy by construction, whatever form its section was written in.
package gatekeeper

import data.gatekeeper.settings

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

# The pull request's release notes list their dependencies, every one is met,
# and no other task item holds up the deploy.
dependencies_met(pr) if {
	is_array(pr.dependencies)
	is_array(pr.tasks)
	every dep in pr.dependencies {
		dependency_met(dep)
	}
	every task in pr.tasks {
		task_clear(task)
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

# A helper, so that `not task_item(dep)` is the same in every Rego engine.
task_item(dep) if dep.task == true

# A task item outside the Dependencies sections is ticked, or sits in a section
# that does not block a deploy.
task_clear(task) if task.done == true

task_clear(task) if {
	task.done == false
	non_blocking(task)
}

# One of the sections around the task is named in `non_blocking_sections`
# (any case).
non_blocking(task) if {
	is_array(task.sections)
	some section in task.sections
	is_string(section)
	lower(section) in {lower(name) | some name in settings.non_blocking_sections; is_string(name)}
}

dependencies_failures contains msg if {
	some repo in input.repos
	some pr in repo.pull_requests
	is_array(pr.tasks)
	some task in pr.tasks
	not task_clear(task)
	msg := sprintf(
		concat("", [
			"%s#%v: task not done: %v (%s): tick it, or name its section in the setting ",
			"non_blocking_sections if it does not hold up a deploy",
		]),
		[repo.name, pr.number, task.text, task_place(task)],
	)
}

task_place(task) := sprintf("under %s", [concat(" > ", task.sections)]) if {
	is_array(task.sections)
	count(task.sections) > 0
	every s in task.sections {
		is_string(s)
	}
} else := "in no section"

# Release notes that do not say which task items they hold cannot be judged.
tasks_known(pr) if is_array(pr.tasks)

dependencies_failures contains msg if {
	some repo in input.repos
	some pr in repo.pull_requests
	not tasks_known(pr)
	msg := sprintf("%s#%v: the task items of the release notes are unknown", [repo.name, pr.number])
}

dependencies_pass_detail := sprintf("all %v listed dependencies are met", [count(all_dependencies)]) if {
	count(all_dependencies) > 0
} else := "the release notes list no dependencies"

all_dependencies := [dep |
	some repo in input.repos
	some pr in repo.pull_requests
	some dep in pr.dependencies
]

dependencies_evidence := [{
	"repo": repo.name,
	"pull_request": pr.number,
	"dependencies": pr.dependencies,
	"tasks": object.get(pr, "tasks", null),
} |
	some repo in input.repos
	some pr in repo.pull_requests
]
