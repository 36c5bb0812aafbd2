package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"pressroom/models"
)

// TestEmailRulesChangeDedupe: a campaigner adds a rule that dots do not
// matter at a domain; from then on a dotted alias of a mailbox there stores
// nothing new (before, it was a second signature); removing the rule brings
// the default back. Both changes are audited, bad input is explained beside
// the field, and a viewer cannot reach the page.
func TestEmailRulesChangeDedupe(t *testing.T) {
	run(t, envOptions{}, func(t *testing.T, env *testEnv) {
		p := newOpenPetition(t, env, env.token(models.RoleCampaigner), `{"title":"Rules","target":"T","demand":"D."}`)
		sign := func(email string) {
			t.Helper()
			if r := signAPI(t, env, p.Slug, `{"name":"N","email":"`+email+`","country":"GB"}`); r.Status != http.StatusAccepted {
				t.Fatalf("sign %s = %d %s", email, r.Status, r.Body)
			}
		}
		stored := func() int { return len(signatureRows(t, env, p.ID)) }

		sign("a.b@example.net")
		sign("ab@example.net")
		if n := stored(); n != 2 {
			t.Fatalf("%d signatures without a rule, want 2", n)
		}

		camp := env.login(models.RoleCampaigner)
		r := camp.post("/admin/email-rules", "/admin/email-rules", url.Values{"domain": {"not a domain"}, "tag_separator": {"@"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="domain-error"`) || !strings.Contains(r.Body, `id="tag_separator-error"`) || !strings.Contains(r.Body, `value="not a domain"`) {
			t.Fatalf("bad rule = %d", r.Status)
		}
		r = camp.post("/admin/email-rules", "/admin/email-rules", url.Values{"domain": {" Example.NET "}, "strip_dots": {"yes"}, "tag_separator": {"+"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("save rule = %d %s", r.Status, r.Body)
		}
		if r := camp.get("/admin/email-rules"); r.Status != http.StatusOK || !strings.Contains(r.Body, "<td>example.net</td>") {
			t.Fatalf("rules page = %d", r.Status)
		}
		sign("c.d@example.net")
		sign("cd@example.net")
		sign("C.D+petition@Example.net")
		if n := stored(); n != 3 {
			t.Fatalf("%d signatures after the rule, want 3 (the aliases of cd@ store nothing)", n)
		}

		r = camp.post("/admin/email-rules", "/admin/email-rules/example.net/delete", nil)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("delete rule = %d", r.Status)
		}
		sign("e.f@example.net")
		sign("ef@example.net")
		if n := stored(); n != 5 {
			t.Fatalf("%d signatures after removing the rule, want 5", n)
		}
		for _, action := range []string{models.ActionEmailRuleSaved, models.ActionEmailRuleDeleted} {
			var n int64
			env.db.Gorm.Model(&models.AuditEvent{}).Where("action = ? AND subject_id = ? AND actor_id = ?", action, "example.net", env.users[models.RoleCampaigner].ID).Count(&n)
			if n != 1 {
				t.Errorf("%d %s audit events, want 1", n, action)
			}
		}
		if r := env.login(models.RoleViewer).get("/admin/email-rules"); r.Status != http.StatusForbidden {
			t.Errorf("viewer = %d, want 403", r.Status)
		}
	})
}
