package debuginfo

import "testing"

func TestDemangle(t *testing.T) {
	for in, want := range map[string]string{
		"_ZN3app6configE":                   "app::config",
		"_ZN6Widget4bumpEi":                 "Widget::bump(int)",
		"_ZN4prog4bump17h41cd6b2e31e158c2E": "prog::bump",
		"_RNvCs1234_4prog4bump":             "prog::bump",
		"main.main":                         "main.main",
		"balance":                           "balance",
		"_ZN3app6configE@@VERS_1":           "app::config@@VERS_1",
		"_Zgarbage":                         "_Zgarbage",
	} {
		if got := Demangle(in); got != want {
			t.Errorf("Demangle(%q) = %q, want %q", in, got, want)
		}
	}
	if got := demangleNoParams("_ZN6Widget4bumpEi"); got != "Widget::bump" {
		t.Errorf("demangleNoParams = %q", got)
	}
}
