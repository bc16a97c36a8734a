package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDocsCountWorkflows: wherever the README, docs/ or the examples'
// READMEs count the example workflows ("four workflows"), the count is the
// number of examples/github-actions/*.yml.
func TestDocsCountWorkflows(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "github-actions", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	numbers := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
	count := regexp.MustCompile(`(?i)\b(` + strings.Join(numbers, "|") + `|\d+)\s+(?:example\s+)?workflows\b`)
	pages, _ := filepath.Glob(filepath.Join("..", "..", "docs", "*.md"))
	readmes, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*", "README.md"))
	pages = append(append(pages, filepath.Join("..", "..", "README.md")), readmes...)
	word := strconv.Itoa(len(files))
	if len(files) < len(numbers) {
		word = numbers[len(files)]
	}
	counted := 0
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range count.FindAllStringSubmatch(string(b), -1) {
			counted++
			if got := strings.ToLower(m[1]); got != word && got != strconv.Itoa(len(files)) {
				t.Errorf("%s: %q, but examples/github-actions has %d workflows", p, m[0], len(files))
			}
		}
	}
	if counted == 0 {
		t.Error("no page counts the workflows: the test checks nothing")
	}
}
