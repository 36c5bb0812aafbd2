package browsertest

import "testing"

// TestAdminSettingsJourney has an administrator set up the organisation's
// sign-off: a new workflow with a rapid-response deadline, a new index series,
// and both changes in the audit log.
func TestAdminSettingsJourney(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	tb.journey("admin-workflow-and-series", func() {
		tb.login("admin@example.org")
		tb.click("Settings")
		tb.click("Workflows")
		tb.fill("Name", "Out of hours")
		tb.choose("tbody tr:nth-child(1) select[name=step_group]", "Press desk")
		tb.fill("tbody tr:nth-child(1) input[name=step_sla]", "15")
		tb.choose("tbody tr:nth-child(2) select[name=step_group]", "Director")
		tb.submit("Save workflow")
		tb.expectText("Workflow Out of hours saved.", "Press desk: 1 approval, deadline 15 min in rapid response", "Director: 1 approval")

		tb.click("Settings")
		tb.click("Index series")
		tb.fill("Code", "AFR 44")
		tb.fill("Name", "Africa: Sylvania")
		tb.submit("Create series")
		tb.expectText("Series AFR 44 created. Its numbers look like AFR 44/048/")

		tb.click("Audit log")
		tb.expectText("workflow_saved", "Out of hours: 2 step(s)", "series_created")
	})
}
