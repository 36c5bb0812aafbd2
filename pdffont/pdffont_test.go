package pdffont

import "testing"

func TestPrintable(t *testing.T) {
	f, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		ok     bool
		script string
	}{
		{"Amira Haddad", true, ""},
		{"José Müller-Łukasiewicz", true, ""},
		{"Анна Ахматова", true, ""},
		{"Γιώργος Σεφέρης", true, ""},
		{"Nguyễn Thị Minh Khai", true, ""},
		{"أميرة حداد", false, "Arabic"},
		{"Anna (אנה)", false, "Hebrew"},
		{"王小明", false, "Chinese"},
		{"さくら", false, "Japanese"},
		{"김민준", false, "Korean"},
		{"देवी", false, "Devanagari"},
	} {
		ok, script := f.Printable(c.name)
		if ok != c.ok || script != c.script {
			t.Errorf("Printable(%q) = %v, %q; want %v, %q", c.name, ok, script, c.ok, c.script)
		}
	}
}
