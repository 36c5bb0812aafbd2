package app_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pressroom/models"
)

// photo12MP is a 4000×3000 JPEG (12 megapixels) with enough detail that the
// encoder and decoder do real work, as a camera's photo would.
func photo12MP(b *testing.B) []byte {
	b.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
	var seed uint32 = 1
	for y := 0; y < 3000; y++ {
		for x := 0; x < 4000; x++ {
			seed = seed*1664525 + 1013904223
			n := uint8(seed >> 28)
			img.SetRGBA(x, y, color.RGBA{uint8(x/16) + n, uint8(y/12) + n, uint8((x+y)/28) + n, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// peakHeap samples the heap while fn runs and returns the highest HeapInuse
// seen above the level before it started (sampled every 2 ms).
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	if p := peak.Load(); p > base.HeapInuse {
		return p - base.HeapInuse
	}
	return 0
}

// BenchmarkMediaUpload12MP measures the upload and derive path end to end
// over HTTP (type check, decode, EXIF orientation, the three derived sizes
// and the re-encoded original, four files stored under MEDIA_URL, the row):
// time per upload and the peak extra heap one upload needs.
//
//	go test ./app -run '^$' -bench MediaUpload12MP -benchtime 5x
func BenchmarkMediaUpload12MP(b *testing.B) {
	db := envDB(b, models.SQLite)
	env := newEnv(b, db, envOptions{env: map[string]string{"MEDIA_URL": "file://" + b.TempDir()}})
	token := env.token(models.RolePressOfficer)
	data := photo12MP(b)
	b.Logf("fixture: 4000×3000 JPEG, %s", models.HumanBytes(int64(len(data))))
	var peak uint64
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		p := peakHeap(func() {
			r := env.uploadAPI(b, token, map[string]string{"title": fmt.Sprintf("Photo %d", i), "alt_text": "A test photo"}, "photo.jpg", data)
			if r.Status != http.StatusCreated {
				b.Fatalf("upload: %d %s", r.Status, r.Body)
			}
		})
		peak = max(peak, p)
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	fmt.Printf("media upload+derive, 12 MP JPEG (%s): %v per upload, peak extra heap %.0f MB (%d uploads)\n",
		models.HumanBytes(int64(len(data))), per.Round(time.Millisecond), float64(peak)/1e6, b.N)
}

// BenchmarkMediaServe measures serving a public release's derived image (the
// 2000 px web size) over HTTP with concurrent clients: requests per second,
// each reading the whole file.
//
//	go test ./app -run '^$' -bench MediaServe -benchtime 3s
func BenchmarkMediaServe(b *testing.B) {
	db := envDB(b, models.SQLite)
	env := newEnv(b, db, envOptions{env: map[string]string{"MEDIA_URL": "file://" + b.TempDir()}, versionTTL: time.Second})
	token := env.token(models.RolePressOfficer)
	r := env.uploadAPI(b, token, map[string]string{"title": "Photo", "alt_text": "A test photo"}, "photo.jpg", photo12MP(b))
	if r.Status != http.StatusCreated {
		b.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	up := decodeUpload(b, r)
	env.publish(b, "Photo release", "Body.", nil, func(in *models.DocumentInput) { in.LeadImageID = &up.ID })
	url := env.http.URL + pathOf(env, up.Variants["large"])
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var size atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			size.Store(n)
		}
	})
	elapsed := time.Since(start)
	rps := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(rps, "req/s")
	fmt.Printf("media serve, public 2000 px image (%s): %.0f requests/s over %d requests (%d clients per CPU)\n",
		models.HumanBytes(size.Load()), rps, b.N, 4)
}
