package gatekeeper_test

# Each guard over a field that may be absent negates a helper rule, so that OPA and
# regorus reach one verdict (`not is_array(x.missing)` is undefined in OPA). These
# tests pin every helper: present and well-typed holds; absent, null or mistyped
# does not, so its negation holds and the guard fails the check.

import data.gatekeeper

test_guard_prs_readable if {
	gatekeeper.prs_readable({"pull_requests": []})
	not gatekeeper.prs_readable({})
	not gatekeeper.prs_readable({"pull_requests": null})
}

test_guard_unreadable_pull_requests_mean_downtime if {
	inp := object.union(green, {"repos": [object.remove(green_repo, ["pull_requests"])]})
	decision_for(inp).downtime == true
}

test_guard_labels_readable if {
	gatekeeper.labels_readable({"labels": []})
	not gatekeeper.labels_readable({})
	not gatekeeper.labels_readable({"labels": "downtime"})
}

test_guard_reviews_readable if {
	gatekeeper.reviews_readable({"reviews": []})
	not gatekeeper.reviews_readable({})
	not gatekeeper.reviews_readable({"reviews": null})
}

test_guard_release_sha_known if {
	gatekeeper.release_sha_known({"release_sha": "abc"})
	not gatekeeper.release_sha_known({})
	not gatekeeper.release_sha_known({"release_sha": null})
}

test_guard_behind_by_known if {
	gatekeeper.behind_by_known({"behind_by": 0})
	not gatekeeper.behind_by_known({})
	not gatekeeper.behind_by_known({"behind_by": "0"})
}

test_guard_migrations_known if {
	gatekeeper.migrations_known({"migrations": []})
	not gatekeeper.migrations_known({})
}

test_guard_notices_readable if {
	gatekeeper.notices_readable({"notices": []})
	not gatekeeper.notices_readable({})
	not gatekeeper.notices_readable({"notices": null})
}

test_guard_comment_helpers if {
	gatekeeper.text_known({"text_known": true})
	not gatekeeper.text_known({})
	not gatekeeper.text_known({"text_known": "true"})
	gatekeeper.shown_on_github({"minimized": false})
	not gatekeeper.shown_on_github({})
	gatekeeper.says_proceed({"proceed": true})
	not gatekeeper.says_proceed({})
}

test_guard_task_item if {
	gatekeeper.task_item({"task": true})
	not gatekeeper.task_item({})
	not gatekeeper.task_item({"task": false})
}

test_guard_teaching_day if {
	gatekeeper.teaching_day({"weekday": "Tuesday"}) with data.gatekeeper.settings.teaching_days as ["Tuesday"]
	not gatekeeper.teaching_day({"weekday": "Saturday"}) with data.gatekeeper.settings.teaching_days as ["Tuesday"]
	not gatekeeper.teaching_day({}) with data.gatekeeper.settings.teaching_days as ["Tuesday"]
}

test_guard_freezes_listed if {
	gatekeeper.freezes_listed({"freezes": []})
	not gatekeeper.freezes_listed({})
	not gatekeeper.freezes_listed({"freezes": "none"})
}

test_guard_throughput_helpers if {
	gatekeeper.rpm_measured({"throughput": {"rpm": 1}})
	not gatekeeper.rpm_measured({"throughput": {}})
	not gatekeeper.rpm_measured({})
	gatekeeper.limit_numeric({"throughput_limit_rpm": 15000})
	not gatekeeper.limit_numeric({})
	not gatekeeper.limit_numeric({"throughput_limit_rpm": "15000"})
}
