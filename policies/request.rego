# Who asked, when a person asked in a comment (`gatekeeper chatops` puts `request`
# in the facts). Absent (a terminal, a CI job), nothing here applies. The two rules
# are off by default; the approval check holds them:
# - `deployers` in the settings: only these logins may ask for a deploy in a comment;
# - `asker_not_only_approver`: the head of every release pull request needs an
#   approver's approval from someone other than the one who asks.
package gatekeeper

import data.gatekeeper.settings

default request_clears := false

request_clears if not has_request

request_clears if {
	request_readable
	count(request_failures) == 0
}

has_request if "request" in object.keys(input)

request_readable if {
	has_request
	is_object(input.request)
	is_string(input.request.via)
	is_string(input.request.actor)
	input.request.actor != ""
}

request_failures contains msg if {
	has_request
	not request_readable
	msg := "the request (who asked in a comment) is unreadable: ask again"
}

request_deployers := object.get(settings, "deployers", [])

request_failures contains msg if {
	request_readable
	count(request_deployers) > 0
	not asker_is_deployer
	msg := sprintf("%s asked in a comment but is not in the setting `deployers` (%s)", [
		input.request.actor, concat(", ", request_deployers),
	])
}

asker_is_deployer if {
	some login in request_deployers
	lower(login) == lower(input.request.actor)
}

request_failures contains msg if {
	request_readable
	object.get(settings, "asker_not_only_approver", false) == true
	some repo in input.repos
	some pr in repo.pull_requests
	not approved_by_other_than_asker(pr)
	msg := sprintf("%s#%v: no approver other than %s, who asked, approved the head", [
		repo.name, pr.number, input.request.actor,
	])
}

# A helper rule, so that the guard above negates no call over a field that might
# be missing (OPA and regorus then agree).
approved_by_other_than_asker(pr) if approved_by_another(pr, input.request.actor)

approved_by_another(pr, asker) if {
	is_string(pr.head_sha)
	some user in settings.approvers
	lower(user) != lower(asker)
	standing := standings(pr)[lower(user)]
	standing.state == "APPROVED"
	standing.commit_id == pr.head_sha
}
