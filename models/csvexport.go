package models

import (
	"encoding/csv"
	"io"
	"strings"
)

// CSV files Pressroom writes are opened in spreadsheets, and a spreadsheet
// runs a cell that starts with "=", "+", "-" or "@" as a formula
// (=HYPERLINK(…), =cmd|' /C calc'!A0): a supporter who subscribed anonymously
// under such a name would run it on the campaigner's machine. So every CSV
// Pressroom writes goes through CSVWriter, which follows OWASP's rule: a cell
// starting with one of those characters, a tab or a CR is prefixed with a
// single quote, which spreadsheets read as "this is text" and do not show.
//
// Every cell is treated as text, whoever wrote it: the exports hold no
// numbers that can be negative (row numbers and dates start with a digit), so
// one rule for all cells is simpler than deciding which cells came from
// people. The CSV import removes that quote again (see UnneutralizeCSVCell),
// so an export re-imports to the same values.

// csvFormulaStart reports whether a spreadsheet would read the cell as a
// formula (or strip a leading tab or CR and then read it so).
func csvFormulaStart(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// NeutralizeCSVCell returns the cell as CSVWriter writes it: prefixed with a
// single quote when it would start a formula. It is idempotent.
func NeutralizeCSVCell(s string) string {
	if csvFormulaStart(s) {
		return "'" + s
	}
	return s
}

// UnneutralizeCSVCell undoes NeutralizeCSVCell on an imported cell: a single
// quote followed by a formula character is the quote a Pressroom (or
// spreadsheet) export put there, not part of the value. (An LF after it was a
// CR before ParseCSV normalised line ends.)
func UnneutralizeCSVCell(s string) string {
	if strings.HasPrefix(s, "'") && (csvFormulaStart(s[1:]) || strings.HasPrefix(s[1:], "\n")) {
		return s[1:]
	}
	return s
}

// CSVWriter is encoding/csv's writer with every cell neutralised. Use it for
// every CSV Pressroom writes: downloads, exports and stored reports.
type CSVWriter struct {
	w   *csv.Writer
	buf []string
}

// NewCSVWriter writes comma-separated records to w.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{w: csv.NewWriter(w)} }

// Write writes one record, neutralising its cells (the caller's slice is not
// changed).
func (w *CSVWriter) Write(record []string) error {
	w.buf = w.buf[:0]
	for _, c := range record {
		w.buf = append(w.buf, NeutralizeCSVCell(c))
	}
	return w.w.Write(w.buf)
}

// WriteAll writes the records and flushes.
func (w *CSVWriter) WriteAll(records [][]string) error {
	for _, r := range records {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.w.Flush()
	return w.w.Error()
}

// Flush writes any buffered data; Error reports a failure of it or of an
// earlier Write.
func (w *CSVWriter) Flush() { w.w.Flush() }

// Error reports any error of a previous Write or Flush.
func (w *CSVWriter) Error() error { return w.w.Error() }
