package jobs

import (
	"bytes"
	"fmt"
	"testing"

	gojson "github.com/goccy/go-json"
	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"
)

// The request body is encoded with goccy/go-json for speed; it must be the
// bytes sendgrid-go's own encoding/json body would be (key order, HTML
// escaping of the HTML part and of addresses with <, > and &).
func TestSendGridBodyMatchesEncodingJSON(t *testing.T) {
	rs := make([]Recipient, 0, 50)
	for i := range 50 {
		rc := Recipient{To: Address{Email: fmt.Sprintf("r%d@example.org", i), Name: fmt.Sprintf("Ann <&> \"%d\" é\u2028", i)},
			Substitutions: Substitutions(KeyName, "Ann & <b>"), CustomArgs: map[string]string{"send_id": "s1", "recipient_id": fmt.Sprint(i), "z": "1", "a": "2"}}
		Substitute(rc.Substitutions, KeyUnsubscribe, "https://press.example.org/u/abc?x=1&y=<2>")
		rc.Headers = map[string]string{"List-Unsubscribe": "<https://press.example.org/u/abc>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
		rs = append(rs, rc)
	}
	b := Batch{From: Address{Email: "press@example.org", Name: "Press & Co"}, ReplyTo: &Address{Email: "reply@example.org"}, Subject: "Héadline <now>",
		HTML: "<p>Hello &amp; <a href=\"x?a=1&b=2\">link</a></p>\u2029", Text: "Hello & <now>\n", Recipients: rs, Categories: []string{"send", "release"},
		Headers: map[string]string{"X-B": "2", "X-A": "1"}, CustomArgs: map[string]string{"k": "v"}}
	sg := NewSendGrid("SG.test", "")
	got, err := gojson.Marshal(sg.Build(b))
	if err != nil {
		t.Fatal(err)
	}
	want := sgmail.GetRequestBody(sg.Build(b))
	if !bytes.Equal(got, want) {
		t.Fatalf("bodies differ:\n got %s\nwant %s", got, want)
	}
}
