// Package mediafake runs an in-process S3-compatible server (gofakes3) so
// tests exercise MEDIA_URL=s3://… exactly as production does, request for
// request, without a network.
package mediafake

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3URL starts a fake S3 server for the test, creates a bucket on it and
// returns the MEDIA_URL that reaches it. The AWS credentials the SDK insists on
// are set for the test only.
func S3URL(t testing.TB) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("media"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	q := url.Values{"region": {"us-east-1"}, "endpoint": {srv.URL}, "use_path_style": {"true"}, "disable_https": {"true"}}
	return "s3://media?" + q.Encode()
}

// Backends are the MEDIA_URLs a storage test runs over: a fresh directory and a
// fresh fake S3 bucket.
func Backends(t testing.TB) map[string]string {
	t.Helper()
	return map[string]string{"file": "file://" + t.TempDir(), "s3": S3URL(t)}
}
