package sendgridfake_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"pressroom/jobs/sendgridfake"
)

// Example shows the usual life of a fake in a test: point the app at URL(),
// script a fault, read what was accepted, and post signed events back.
func Example() {
	fake := sendgridfake.New("SG.test").Start()
	defer fake.Close()
	// Configure the app with SENDGRID_API_URL=fake.URL(), SENDGRID_API_KEY=SG.test
	// and SENDGRID_WEBHOOK_PUBLIC_KEY=fake.PublicKey().

	fake.Script(sendgridfake.RateLimited(0), sendgridfake.ServerError(503)) // next two requests fail

	send := func() int {
		req, _ := http.NewRequest(http.MethodPost, fake.URL()+sendgridfake.SendPath, strings.NewReader(
			`{"from":{"email":"press@example.org"},"subject":"Hi","content":[{"type":"text/plain","value":"Hi"}],`+
				`"personalizations":[{"to":[{"email":"a@example.org"}],"custom_args":{"send_id":"s1"}}]}`))
		req.Header.Set("Authorization", "Bearer SG.test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	fmt.Println(send(), send(), send(), fake.Count())

	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A real handler verifies r's signature with fake.PublicKey() here.
	}))
	defer hook.Close()
	status, err := fake.PostEvents(context.Background(), hook.URL, fake.EventsFor(sendgridfake.EventDelivered, fake.Recipients()...))
	fmt.Println(status, err)
	// Output:
	// 429 503 202 1
	// 200 <nil>
}
