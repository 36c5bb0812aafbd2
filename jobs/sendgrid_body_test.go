package jobs

import (
	"bytes"
	"fmt"
	"testing"

	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"
)

// The request body's personalizations are encoded by hand for speed; the body
// must be the bytes sendgrid-go's own encoding/json body would be (key order,
// omitted empty fields, HTML escaping, control characters, U+2028, invalid
// UTF-8).
func TestSendGridBodyMatchesEncodingJSON(t *testing.T) {
	rs := make([]Recipient, 0, 50)
	for i := range 50 {
		name := fmt.Sprintf("Ann <&> \"%d\" é\u2028\u2029 \\ \b\f\n\r\t\x01\x1f\x7f \xff\xc3 😀", i)
		if i%7 == 0 {
			name = ""
		}
		rc := Recipient{To: Address{Email: fmt.Sprintf("r%d@example.org", i), Name: name},
			Substitutions: Substitutions(KeyName, "Ann & <b>"), CustomArgs: map[string]string{"send_id": "s1", "recipient_id": fmt.Sprint(i), "z": "1", "a": "2"}}
		Substitute(rc.Substitutions, KeyUnsubscribe, "https://press.example.org/u/abc?x=1&y=<2>")
		if i%5 == 0 {
			rs = append(rs, rc)
			continue
		}
		rc.Headers = map[string]string{"List-Unsubscribe": "<https://press.example.org/u/abc>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
		rs = append(rs, rc)
	}
	b := Batch{From: Address{Email: "press@example.org", Name: "Press & Co"}, ReplyTo: &Address{Email: "reply@example.org"}, Subject: `Héadline <now> "personalizations":[{}]`,
		HTML: "<p>Hello &amp; <a href=\"x?a=1&b=2\">link</a></p>\u2029", Text: "Hello & <now>\n", Recipients: rs, Categories: []string{"send", "release"},
		Headers: map[string]string{"X-B": "2", "X-A": "1"}, CustomArgs: map[string]string{"k": "v"}}
	sg := NewSendGrid("SG.test", "")
	got, err := sendGridBody(sg.Build(b))
	if err != nil {
		t.Fatal(err)
	}
	want := sgmail.GetRequestBody(sg.Build(b))
	if !bytes.Equal(got, want) {
		t.Fatalf("bodies differ:\n got %s\nwant %s", got, want)
	}
}

// BenchmarkSendGridBody encodes a full batch's body: by hand
// (sendGridBody) and through encoding/json as sendgrid-go would.
func BenchmarkSendGridBody(b *testing.B) {
	rs := make([]Recipient, 0, 1000)
	for i := range 1000 {
		rc := Recipient{To: Address{Email: fmt.Sprintf("r%d@example.org", i), Name: fmt.Sprintf("Supporter %d", i)},
			Substitutions: Substitutions(KeyName, fmt.Sprintf("Supporter %d", i)), CustomArgs: map[string]string{"send_id": "s1", "recipient_id": fmt.Sprint(i)}}
		u := fmt.Sprintf("https://press.example.org/u/%d.abcdefghijklmnopqrstuvwxyz", i)
		Substitute(rc.Substitutions, KeyUnsubscribe, u)
		rc.Headers = map[string]string{"List-Unsubscribe": "<" + u + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
		rs = append(rs, rc)
	}
	batch := Batch{From: Address{Email: "press@example.org", Name: "Press"}, Subject: "Headline", HTML: "<p>Hello</p>", Text: "Hello\n", Recipients: rs}
	sg := NewSendGrid("SG.test", "")
	b.Run("by hand", func(b *testing.B) {
		for b.Loop() {
			if _, err := sendGridBody(sg.Build(batch)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			sgmail.GetRequestBody(sg.Build(batch))
		}
	})
}

// FuzzSendGridBody holds the hand encoder to encoding/json's bytes for any
// text people can put in a message: a recipient's name, a substitution, a
// custom argument, a header and the subject.
func FuzzSendGridBody(f *testing.F) {
	f.Add("Ann <&>", "https://press.example.org/u/a?x=1&y=2", "s1", "Subject \u2028")
	f.Add("\xff\xc3 😀", "\x00\x1f\x7f", "", "")
	f.Fuzz(func(t *testing.T, name, value, arg, subject string) {
		rc := Recipient{To: Address{Email: "r@example.org", Name: name},
			Substitutions: Substitutions(KeyName, name), CustomArgs: map[string]string{"send_id": arg, arg: value}}
		Substitute(rc.Substitutions, KeyUnsubscribe, value)
		rc.Headers = map[string]string{"List-Unsubscribe": "<" + value + ">", name: arg}
		b := Batch{From: Address{Email: "press@example.org", Name: name}, Subject: subject, HTML: value, Text: name, Recipients: []Recipient{rc, {To: Address{Email: "s@example.org"}}}}
		sg := NewSendGrid("SG.test", "")
		got, err := sendGridBody(sg.Build(b))
		if err != nil {
			t.Fatal(err)
		}
		if want := sgmail.GetRequestBody(sg.Build(b)); !bytes.Equal(got, want) {
			t.Fatalf("bodies differ:\n got %s\nwant %s", got, want)
		}
	})
}
