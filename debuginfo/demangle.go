package debuginfo

import (
	"strings"

	"github.com/ianlancetaylor/demangle"
)

// Demangle turns a C++ (_Z...) or Rust (legacy _ZN...17h<hash>E, or v0
// _R...) symbol name into source form: "app::Widget::bump(int)",
// "crate::module::func". Other names (C, Go) are returned unchanged.
func Demangle(name string) string {
	if !mangled(name) {
		return name
	}
	base, ver := name, ""
	if i := strings.IndexByte(name, '@'); i > 0 {
		base, ver = name[:i], name[i:]
	}
	s, err := demangle.ToString(base)
	if err != nil {
		return name
	}
	return s + ver
}

// demangleNoParams is Demangle without the parameter list and, for Rust,
// without the hash: the qualified name a user types.
func demangleNoParams(name string) string {
	if !mangled(name) {
		return name
	}
	s, err := demangle.ToString(name, demangle.NoParams)
	if err != nil {
		return name
	}
	return s
}

func mangled(name string) bool {
	return strings.HasPrefix(name, "_Z") || strings.HasPrefix(name, "_R") || strings.HasPrefix(name, "__Z")
}
