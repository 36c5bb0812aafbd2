package models

// IndexTerms exposes indexTerms to the external test package, whose benchmark
// bulk-loads search rows without going through a transaction per document.
func IndexTerms(n string) string { return indexTerms(n) }
