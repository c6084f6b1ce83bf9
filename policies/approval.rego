# approval: on each release pull request, an approver's standing review is
# APPROVED on the current head SHA, and no reviewer's standing review requests
# changes. A reviewer's standing is their latest APPROVED or CHANGES_REQUESTED
# review (GitHub's rule): comments change nothing, dismissed reviews count for nothing.
package gatekeeper

import data.gatekeeper.settings

check_approval := result("approval", approval_pass, approval_failures, approval_pass_detail, approval_evidence)

default approval_pass := false

approval_pass if {
	has_repos
	every repo in input.repos {
		is_string(repo.release_sha)
		has_release_prs(repo)
		every pr in repo.pull_requests {
			pr.head_sha == repo.release_sha
			approved(pr)
			not changes_requested(pr)
		}
	}
	request_clears
}

approval_failures contains no_repos_reason if not has_repos

approval_failures contains msg if some msg in release_pr_failures

approval_failures contains msg if some msg in request_failures

approval_failures contains msg if {
	some repo in input.repos
	some pr in repo.pull_requests
	not reviews_readable(pr)
	msg := sprintf("%s#%v: reviews unknown (%s)", [repo.name, pr.number, fact_reason("github", repo.name, "reviews")])
}

approval_failures contains msg if {
	some repo in input.repos
	some pr in repo.pull_requests
	is_array(pr.reviews)
	not approved(pr)
	msg := sprintf("%s#%v: %s", [repo.name, pr.number, unapproved_reason(pr)])
}

approval_failures contains msg if {
	some repo in input.repos
	some pr in repo.pull_requests
	some user, review in standings(pr)
	review.state == "CHANGES_REQUESTED"
	msg := sprintf("%s#%v: %s requests changes", [repo.name, pr.number, user])
}

# The approval must be for what ships: the release branch head the tests judged.
approval_failures contains msg if {
	some repo in input.repos
	some pr in repo.pull_requests
	is_string(repo.release_sha)
	pr.head_sha != repo.release_sha
	msg := sprintf("%s#%v: the pull request's head is %s but %s is at %s: %s", [
		repo.name, pr.number, short(pr.head_sha), repo.release_branch, short(repo.release_sha),
		"wait until GitHub shows the same head, then check again",
	])
}

approval_failures contains msg if {
	some repo in input.repos
	not release_sha_known(repo)
	msg := sprintf("%s: head of %s unknown, so no approval can be matched to what ships (%s)", [
		repo.name, repo.release_branch, fact_reason("github", repo.name, "release_sha"),
	])
}

# Each reviewer's latest review that approves, requests changes or was dismissed:
# a dismissed latest review leaves the reviewer with no approval (an earlier one
# does not come back), so the approver must approve again. Keyed by the login in
# lower case: GitHub logins are case-insensitive.
standings(pr) := {user: pr.reviews[last] |
	is_array(pr.reviews)
	some user in {lower(r.user) | some r in pr.reviews; is_string(r.user)}
	decisive := [i |
		some i, r in pr.reviews
		is_string(r.user)
		lower(r.user) == user
		r.state in {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}
	]
	count(decisive) > 0
	last := max(decisive)
}

approved(pr) if {
	is_string(pr.head_sha)
	some user in settings.approvers
	standing := standings(pr)[lower(user)]
	standing.state == "APPROVED"
	standing.commit_id == pr.head_sha
}

changes_requested(pr) if {
	some standing in standings(pr)
	standing.state == "CHANGES_REQUESTED"
}

unapproved_reason(pr) := concat("; ", stale) if {
	stale := [sprintf("%s approved %s, but the head is now %s: ask for a new approval", [
		user, short(standing.commit_id), short(pr.head_sha),
	]) |
		some user in settings.approvers
		standing := standings(pr)[lower(user)]
		standing.state == "APPROVED"
		standing.commit_id != pr.head_sha
	]
	count(stale) > 0
} else := sprintf("no approval from an approver (%s)", [concat(", ", settings.approvers)])

approval_pass_detail := concat("; ", [sprintf("%s#%v approved on %s", [repo.name, pr.number, short(pr.head_sha)]) |
	some repo in input.repos
	some pr in repo.pull_requests
])

approval_evidence := [{
	"repo": repo.name,
	"pull_request": pr.number,
	"head_sha": pr.head_sha,
	"standing": {user: {"state": s.state, "commit_id": s.commit_id} | some user, s in standings(pr)},
} |
	some repo in input.repos
	some pr in repo.pull_requests
	pr.reviews
]
