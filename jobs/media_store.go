package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	// The storage backends MEDIA_URL may name: a directory for one machine, S3
	// (or any S3-compatible store) when several web processes share files, and
	// memory for tests.
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"
)

// DefaultMediaURL stores media in ./media beside the binary: right for
// development and a single machine.
const DefaultMediaURL = "file://./media"

// MediaStore keeps media files under content-addressed keys: a key is the
// SHA-256 of the bytes, so a file once written never changes and may be cached
// forever, and the same bytes uploaded twice are stored once.
type MediaStore struct {
	bucket *blob.Bucket
}

// OpenMediaStore opens the bucket MEDIA_URL names: file://DIR (created when
// missing), s3://BUCKET?region=…&endpoint=… or mem://.
func OpenMediaStore(ctx context.Context, rawURL string) (*MediaStore, error) {
	if rawURL == "" {
		rawURL = DefaultMediaURL
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("jobs: MEDIA_URL %q: %w", rawURL, err)
	}
	if u.Scheme == "file" {
		dir := u.Path
		if u.Host == "." {
			dir = strings.TrimPrefix(dir, "/")
		}
		if err := os.MkdirAll(filepath.FromSlash(dir), 0o750); err != nil {
			return nil, fmt.Errorf("jobs: MEDIA_URL directory: %w", err)
		}
		q := u.Query()
		if q.Get("metadata") == "" {
			q.Set("metadata", "skip") // the database holds every attribute we need
		}
		u.RawQuery = q.Encode()
	}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("jobs: open MEDIA_URL %s://…: %w", u.Scheme, err)
	}
	return &MediaStore{bucket: b}, nil
}

// Put writes data under key. Writing an existing key again is harmless: the
// key is the content's hash.
func (m *MediaStore) Put(ctx context.Context, key, contentType string, data []byte) error {
	if ok, err := m.bucket.Exists(ctx, key); err == nil && ok {
		return nil
	}
	if err := m.bucket.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: contentType}); err != nil {
		return fmt.Errorf("jobs: store media %s: %w", key, err)
	}
	return nil
}

// ErrMediaMissing is a key the store does not hold.
var ErrMediaMissing = errors.New("jobs: media file missing from storage")

// Open reads the file under key; the caller closes it.
func (m *MediaStore) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := m.bucket.NewReader(ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, ErrMediaMissing
	}
	if err != nil {
		return nil, fmt.Errorf("jobs: read media %s: %w", key, err)
	}
	return r, nil
}

// Keys lists every stored key (tests and maintenance).
func (m *MediaStore) Keys(ctx context.Context) ([]string, error) {
	var keys []string
	it := m.bucket.List(nil)
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return keys, nil
		}
		if err != nil {
			return nil, fmt.Errorf("jobs: list media: %w", err)
		}
		keys = append(keys, obj.Key)
	}
}

// Close releases the bucket.
func (m *MediaStore) Close() error { return m.bucket.Close() }
