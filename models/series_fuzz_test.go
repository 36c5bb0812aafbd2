package models_test

import (
	"errors"
	"strings"
	"testing"

	"pressroom/models"
)

// TestParseIndex reads the organisation's index numbers back by their
// series' formats, and refuses numbers of another shape.
func TestParseIndex(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		format, code, number string
		serial, year         int
		ok                   bool
	}{
		{"{code}/{serial:03}/{year}", "PRE 01", "PRE 01/348/2026", 348, 2026, true},
		{"{code}/{serial:03}/{year}", "PRE 01", "PRE 01/007/2026", 7, 2026, true},
		{"{code}/{serial:03}/{year}", "PRE 01", "PRE 01/1234/2026", 1234, 2026, true},
		{"{code} {serial}/{yy}", "UA", "UA 123/26", 123, 2026, true},
		{"{code} {serial}/{yy}", "UA", "UA 123/2026", 0, 0, false},
		{"{code}/{serial:03}/{year}", "PRE 01", "MDE 24/045/2012", 0, 0, false},
		{"{code}/{serial:03}/{year}", "PRE 01", "PRE 01/000/2026", 0, 0, false},
		{"{code} {serial}/{yy} ({year})", "UA", "UA 5/26 (2027)", 0, 0, false},
		{"{code}.{serial}.{year}", "A.B", "A.B.9.2026", 9, 2026, true},
		{"{code}.{serial}.{year}", "A.B", "AxB.9.2026", 0, 0, false},
	} {
		serial, year, ok := models.ParseIndex(tt.format, tt.code, tt.number)
		if serial != tt.serial || year != tt.year || ok != tt.ok {
			t.Errorf("ParseIndex(%q, %q, %q) = %d, %d, %v; want %d, %d, %v", tt.format, tt.code, tt.number, serial, year, ok, tt.serial, tt.year, tt.ok)
		}
	}
}

// FuzzIndexNumberRoundTrip: for every series definition Validate accepts, a
// formatted number reads back as the serial and year it was made from, and its
// URL form finds it again.
func FuzzIndexNumberRoundTrip(f *testing.F) {
	f.Add("{code}/{serial:03}/{year}", "PRE 01", uint32(348), uint16(26))
	f.Add("{code} {serial}/{yy}", "UA", uint32(123), uint16(26))
	f.Add("{code} {serial:05}-{yy}/{year}", "MDE 24", uint32(45), uint16(12))
	f.Add("{year}{serial}{code}", "9", uint32(1), uint16(0))
	f.Fuzz(func(t *testing.T, format, code string, serialSeed uint32, yearSeed uint16) {
		in := models.SeriesInput{Code: code, Name: "Series", Format: format}
		if in.Validate() != nil {
			return
		}
		serial := 1 + int(serialSeed%10_000_000)
		year := 2000 + int(yearSeed%100)
		if strings.Contains(in.Format, "{year}") {
			year = 1000 + int(yearSeed%9000)
		}
		n := models.FormatIndex(in.Format, in.Code, serial, year)
		s, y, ok := models.ParseIndex(in.Format, in.Code, n)
		if !ok || s != serial || y != year {
			t.Fatalf("format %q code %q: FormatIndex(%d, %d) = %q, read back as %d, %d, %v", in.Format, in.Code, serial, year, n, s, y, ok)
		}
		if models.IndexKey(models.IndexPath(n)) != models.IndexKey(n) {
			t.Fatalf("%q: URL form %q has key %q, the number %q", n, models.IndexPath(n), models.IndexKey(models.IndexPath(n)), models.IndexKey(n))
		}
	})
}

// TestSeriesRefusesBrokenText: a code or format that is not plain text (the
// fuzzer's find: a lone byte of a UTF-8 sequence) is refused with a reason,
// since numbers made from it could not be shown or read back.
func TestSeriesRefusesBrokenText(t *testing.T) {
	t.Parallel()
	for _, in := range []models.SeriesInput{
		{Code: "\xc3", Name: "Broken", Format: "{code}{serial}{year}"},
		{Code: "PRE\x0001", Name: "NUL", Format: "{code}/{serial}/{year}"},
		{Code: "PRE", Name: "Tab", Format: "{code}\t{serial}/{year}"},
		{Code: "PRE", Name: "Two serials", Format: "{code}/{serial}/{serial}/{year}"},
		{Code: "PRE", Name: "Wide", Format: "{code}/{serial:0999999999}/{year}"},
	} {
		err := in.Validate()
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Fields["code"]+ve.Fields["format"] == "" {
			t.Errorf("%s: Validate = %v, want a reason on code or format", in.Name, err)
		}
	}
	ok := models.SeriesInput{Code: "MDE 24", Name: "Middle East", Format: "{code}/{serial:03}/{year}"}
	if err := ok.Validate(); err != nil {
		t.Errorf("a good series was refused: %v", err)
	}
}
