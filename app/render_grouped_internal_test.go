package app

import "testing"

func TestGrouped(t *testing.T) {
	grouped := grouped()
	for _, c := range []struct {
		in   any
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {int64(10000), "10,000"}, {int64(1234567), "1,234,567"}, {-1000, "-1,000"}} {
		if got, err := grouped(c.in); err != nil || got != c.want {
			t.Errorf("grouped(%v) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := grouped("10"); err == nil {
		t.Error("grouped accepted a string")
	}
}
