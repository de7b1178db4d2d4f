package textdist

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"balnce", "balance", 1},
		{"abcd", "abdc", 1}, {"kitten", "sitting", 3}, {"same", "same", 0},
	}
	for _, tc := range tests {
		if got := Distance(tc.a, tc.b, 10); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	if got := Distance("aaaaaaaa", "bbbbbbbb", 2); got != 3 {
		t.Errorf("limited Distance = %d, want 3 (limit+1)", got)
	}
}
