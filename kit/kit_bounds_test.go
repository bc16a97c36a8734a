package kit

import (
	"reflect"
	"strings"
	"testing"

	"github.com/Masterminds/sprig/v3"
)

// TestKitBoundedBuilders: repeat, until and untilStep give sprig's results
// within their bounds and refuse what would take gigabytes.
func TestKitBoundedBuilders(t *testing.T) {
	s := sprig.TxtFuncMap()
	fm := kitFuncs()
	for _, args := range [][3]int{{0, 5, 1}, {5, 0, -1}, {0, 10, 3}, {3, 3, 1}, {0, 5, 0}, {0, 5, -1}, {5, 0, 1}, {-4, 4, 2}} {
		want := s["untilStep"].(func(int, int, int) []int)(args[0], args[1], args[2])
		got, err := fm["untilStep"].(func(int, int, int) ([]int, error))(args[0], args[1], args[2])
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("untilStep%v = %v, %v; sprig gives %v", args, got, err, want)
		}
	}
	for _, n := range []int{-3, 0, 4} {
		want := s["until"].(func(int) []int)(n)
		got, err := fm["until"].(func(int) ([]int, error))(n)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("until %d = %v, %v; sprig gives %v", n, got, err, want)
		}
	}
	if got, err := fm["repeat"].(func(int, string) (string, error))(3, "ab"); got != "ababab" || err != nil {
		t.Errorf("repeat 3 ab = %q, %v", got, err)
	}
	if _, err := fm["repeat"].(func(int, string) (string, error))(3000000000, "x"); err == nil || !strings.Contains(err.Error(), "over the kit's limit") {
		t.Errorf("repeat of 3 GB: %v", err)
	}
	if _, err := fm["until"].(func(int) ([]int, error))(20000000); err == nil {
		t.Error("until 20,000,000 was built")
	}
}
