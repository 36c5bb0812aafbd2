package sendgridfake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"pressroom/jobs/sendgridfake"
)

// BenchmarkAcceptBatch1000 measures what the fake costs per full request of the
// shape Pressroom sends supporters (one personalization per recipient with
// substitutions, unsubscribe headers and id custom args). The fake runs on the
// same cores as the system a send benchmark measures, so this is overhead to
// keep small. Accepted requests are kept, as in a real run.
func BenchmarkAcceptBatch1000(b *testing.B) {
	f := sendgridfake.New("SG.bench")
	body := benchBody(1000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, sendgridfake.SendPath, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer SG.bench")
		w := httptest.NewRecorder()
		f.ServeHTTP(w, req)
		if w.Code != http.StatusAccepted {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	if f.Count() != 1000*b.N {
		b.Fatalf("count %d, want %d", f.Count(), 1000*b.N)
	}
}

func benchBody(n int) []byte {
	type email struct {
		Email string `json:"email"`
		Name  string `json:"name,omitempty"`
	}
	type pers struct {
		To            []email           `json:"to"`
		Headers       map[string]string `json:"headers"`
		Substitutions map[string]string `json:"substitutions"`
		CustomArgs    map[string]string `json:"custom_args"`
	}
	ps := make([]pers, n)
	for i := range ps {
		u := fmt.Sprintf("https://press.example.org/u/%040d", i)
		ps[i] = pers{
			To:            []email{{Email: fmt.Sprintf("supporter-%d@example.org", i), Name: fmt.Sprintf("Supporter %d", i)}},
			Headers:       map[string]string{"List-Unsubscribe": "<" + u + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
			Substitutions: map[string]string{"-name-": fmt.Sprintf("Supporter %d", i), "-unsubscribe_url-": u},
			CustomArgs:    map[string]string{"send_id": "0193a7c2-5d3e-7c1a-9f00-5b2d9e1c4a77", "recipient_id": fmt.Sprint(1000000 + i)},
		}
	}
	body, err := json.Marshal(map[string]any{
		"personalizations": ps,
		"from":             email{Email: "press@example.org", Name: "Press office"},
		"subject":          "Act before the vote",
		"content":          []map[string]string{{"type": "text/plain", "value": "Dear -name-, act now. -unsubscribe_url-"}, {"type": "text/html", "value": "<p>Dear -name-, act now.</p><a href=\"-unsubscribe_url-\">Unsubscribe</a>"}},
		"categories":       []string{"send", "action_alert"},
	})
	if err != nil {
		panic(err)
	}
	return body
}
