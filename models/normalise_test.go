package models_test

import (
	"testing"

	"pressroom/models"
)

func TestNormaliseEmail(t *testing.T) {
	t.Parallel()
	rules := models.DefaultEmailRules()
	rules["example.net"] = models.EmailRule{Domain: "example.net", TagSeparator: "-"}
	rules["nosub.org"] = models.EmailRule{Domain: "nosub.org", TagSeparator: ""}
	rules["old.example"] = models.EmailRule{Domain: "old.example", CanonicalDomain: "new.example"}
	rules["a.example"] = models.EmailRule{Domain: "a.example", CanonicalDomain: "b.example"}
	rules["b.example"] = models.EmailRule{Domain: "b.example", CanonicalDomain: "a.example"}
	cases := []struct{ in, want string }{
		{"Ada@Example.org", "ada@example.org"},
		{"  ada@example.org \n", "ada@example.org"},
		{"ada+petitions@example.org", "ada@example.org"},
		{"ada+a+b@example.org", "ada@example.org"},
		{"a.d.a@example.org", "a.d.a@example.org"}, // dots matter at most providers
		{"A.D.A+news@GMail.com", "ada@gmail.com"},
		{"a.da@googlemail.com", "ada@gmail.com"},
		{"ada+x@googlemail.com", "ada@gmail.com"},
		{"ada-list@example.net", "ada@example.net"},
		{"ada+list@example.net", "ada+list@example.net"},
		{"ada+list@nosub.org", "ada+list@nosub.org"},
		{"ada@old.example", "ada@new.example"},
		{"ada@a.example", "ada@a.example"}, // a cycle resolves to its smallest member
		{"ada@b.example", "ada@a.example"},
		{"no-at-sign", "no-at-sign"},
		{"x@y@example.org", "x@y@example.org"},
		{"+tag@example.org", "@example.org"},
	}
	for _, c := range cases {
		got := models.NormaliseEmail(c.in, rules)
		if got != c.want {
			t.Errorf("NormaliseEmail(%q) = %q, want %q", c.in, got, c.want)
		}
		if again := models.NormaliseEmail(got, rules); again != got {
			t.Errorf("NormaliseEmail is not idempotent on %q: %q then %q", c.in, got, again)
		}
	}
}

// FuzzNormaliseEmail checks the property the unique index relies on: a
// normalised address normalises to itself, and case never makes two mailboxes.
func FuzzNormaliseEmail(f *testing.F) {
	for _, s := range []string{"Ada@Example.org", "a.d.a+x@gmail.com", "a.da@googlemail.com", "x@y@z", "", "@", "+@gmail.com", "İ@gmail.com"} {
		f.Add(s)
	}
	rules := models.DefaultEmailRules()
	rules["example.net"] = models.EmailRule{Domain: "example.net", TagSeparator: "-."}
	f.Fuzz(func(t *testing.T, s string) {
		n := models.NormaliseEmail(s, rules)
		if again := models.NormaliseEmail(n, rules); again != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, again)
		}
	})
}
