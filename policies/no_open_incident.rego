# no_open_incident: no New Relic issue of a priority the settings name
# (incident_priorities) is open on the app. Deploying into a fire makes both worse
# and hides which caused what. The list must have been read: unreadable is a fail,
# never "no incident".
package gatekeeper

import data.gatekeeper.settings

check_no_open_incident := result(
	"no_open_incident",
	no_open_incident_pass,
	no_open_incident_failures,
	no_open_incident_pass_detail,
	no_open_incident_evidence,
)

default no_open_incident_pass := false

no_open_incident_pass if {
	incidents_readable
	incident_priorities_readable
	count(blocking_incidents) == 0
}

# Every open issue has a priority to judge it by.
incidents_readable if {
	is_array(input.incidents)
	every i in input.incidents {
		is_string(i.priority)
	}
}

incident_priorities_readable if {
	is_collection(settings.incident_priorities)
	every p in settings.incident_priorities {
		is_string(p)
	}
}

blocking_incidents contains i if {
	incident_priorities_readable
	is_array(input.incidents)
	some i in input.incidents
	is_string(i.priority)
	i.priority in settings.incident_priorities
}

# The priorities in a fixed order, for titles and messages.
incident_priorities_shown := [p |
	some p in ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
	p in settings.incident_priorities
]

no_open_incident_failures contains msg if {
	not input.incidents
	msg := sprintf("open New Relic issues unknown (%s)", [top_reason("newrelic", "incidents")])
}

no_open_incident_failures contains msg if {
	input.incidents
	not incidents_listed
	msg := sprintf("the open issues %v are not a list", [input.incidents])
}

no_open_incident_failures contains msg if {
	is_array(input.incidents)
	some i in input.incidents
	not priority_named(i)
	msg := sprintf("issue %v has no priority to judge it by", [object.get(i, "id", "(no id)")])
}

no_open_incident_failures contains msg if {
	some i in blocking_incidents
	msg := sprintf("%s issue %s is %s: %s (on %s)%s", [
		i.priority, object.get(i, "id", "(no id)"), lower(object.get(i, "state", "open")),
		object.get(i, "title", ""), concat(", ", object.get(i, "entities", [])), since(i),
	])
}

no_open_incident_failures contains msg if {
	not incident_priorities_readable
	msg := sprintf("the setting incident_priorities is %v, not a set of priorities: write e.g. {\"CRITICAL\", \"HIGH\"}", [
		settings.incident_priorities,
	])
}

since(i) := sprintf(" since %s", [i.activated_at]) if {
	is_string(i.activated_at)
} else := ""

default no_open_incident_pass_detail := "no open issue list"

no_open_incident_pass_detail := sprintf("no open issue of priority %s%s", [
	concat(" or ", incident_priorities_shown), lower_open,
]) if is_array(input.incidents)

# Open issues of other priorities are said, not judged.
lower_open := sprintf(" (%d open of lower priority)", [count(input.incidents)]) if {
	count(input.incidents) > 0
} else := ""

no_open_incident_evidence := {
	"incidents": object.get(input, "incidents", null),
	"priorities": settings.incident_priorities,
}

# Helper rules, so that no guard negates a call over a field that might be missing
# (OPA and regorus then agree).
incidents_listed if is_array(input.incidents)

priority_named(i) if is_string(i.priority)
