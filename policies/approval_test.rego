package gatekeeper_test

test_approval_on_head_passes if {
	status(green, "approval") == "pass"
}

test_approval_on_stale_commit_fails if {
	inp := with_reviews([review_by("tim", "APPROVED", old_sha)])
	status(inp, "approval") == "fail"
	contains(detail(inp, "approval"), "tim approved 9b8a7c6, but the head is now 3f2a9c1")
}

# GitHub logins are case-insensitive: settings may write them in any case.
test_an_approvers_login_matches_in_any_case if {
	status(with_reviews([review_by("Tim", "APPROVED", app_sha)]), "approval") == "pass"
	upper := status_with(with_reviews([review_by("tim", "APPROVED", app_sha)]), "approval", {"approvers": ["TIM"]})
	upper == "pass"
	status(with_reviews([review_by("TIM", "CHANGES_REQUESTED", app_sha)]), "approval") == "fail"
}

test_dismissed_approval_fails if {
	status(with_reviews([review_by("tim", "DISMISSED", app_sha)]), "approval") == "fail"
}

test_dismissed_change_request_does_not_bring_back_an_earlier_approval if {
	reviews := [
		review_by("tim", "APPROVED", app_sha),
		review_by("tim", "CHANGES_REQUESTED", app_sha),
		review_by("tim", "DISMISSED", app_sha),
	]
	status(with_reviews(reviews), "approval") == "fail"
}

test_comment_after_approval_is_still_approved if {
	reviews := [review_by("tim", "APPROVED", app_sha), review_by("tim", "COMMENTED", app_sha)]
	status(with_reviews(reviews), "approval") == "pass"
}

test_changes_requested_then_approved_by_same_reviewer_passes if {
	reviews := [review_by("tim", "CHANGES_REQUESTED", old_sha), review_by("tim", "APPROVED", app_sha)]
	status(with_reviews(reviews), "approval") == "pass"
}

test_approved_then_changes_requested_fails if {
	inp := with_reviews([review_by("tim", "APPROVED", app_sha), review_by("tim", "CHANGES_REQUESTED", app_sha)])
	status(inp, "approval") == "fail"
	contains(detail(inp, "approval"), "tim requests changes")
}

test_approval_by_someone_not_listed_fails if {
	inp := with_reviews([review_by("bob", "APPROVED", app_sha)])
	status(inp, "approval") == "fail"
	contains(detail(inp, "approval"), "no approval from an approver (tim)")
}

test_another_reviewer_requesting_changes_fails if {
	inp := with_reviews([review_by("tim", "APPROVED", app_sha), review_by("bob", "CHANGES_REQUESTED", app_sha)])
	status(inp, "approval") == "fail"
	contains(detail(inp, "approval"), "bob requests changes")
}

test_deleted_reviewer_is_ignored if {
	reviews := [review_by(null, "CHANGES_REQUESTED", app_sha), review_by("tim", "APPROVED", app_sha)]
	status(with_reviews(reviews), "approval") == "pass"
}

test_no_reviews_fails if {
	status(with_reviews([]), "approval") == "fail"
}

test_approvers_come_from_settings if {
	inp := with_reviews([review_by("bob", "APPROVED", app_sha)])
	status_with(inp, "approval", {"approvers": ["tim", "bob"]}) == "pass"
}

test_unknown_reviews_fail_with_the_reason if {
	inp := object.union(
		with_repo(green, {"pull_requests": [object.remove(green_pr, ["reviews"])]}),
		{"errors": [{
			"source": "github",
			"repo": "thinkthroughmath/apangea",
			"message": "reviews of #412: 502 Bad Gateway",
		}]},
	)
	status(inp, "approval") == "fail"
	contains(detail(inp, "approval"), "#412: reviews unknown (github: reviews of #412: 502 Bad Gateway)")
}

test_pull_request_head_other_than_the_release_head_fails if {
	inp := with_repo(green, {"release_sha": old_sha})
	status(inp, "approval") == "fail"
	contains(detail(inp, "approval"), "the pull request's head is 3f2a9c1 but rc is at 9b8a7c6")
}

test_unknown_release_head_fails_approval if {
	inp := with_repo(green, {"release_sha": null})
	status(inp, "approval") == "fail"
	contains(detail(inp, "approval"), "head of rc unknown, so no approval can be matched to what ships")
}

test_reviews_not_a_list_fail if {
	inp := with_reviews("APPROVED")
	status(inp, "approval") == "fail"
	contains(detail(inp, "approval"), "reviews unknown")
}

test_approval_without_a_commit_fails if {
	status(with_reviews([object.remove(review_by("tim", "APPROVED", app_sha), ["commit_id"])]), "approval") == "fail"
}
