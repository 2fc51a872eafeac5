package eval

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Example is one labelled text.
type Example struct {
	Label string
	Text  string
}

// ErrNoData reports input with a header but no rows, or nothing at all.
var ErrNoData = errors.New("eval: no data rows")

// ReadExamples reads a label<TAB>text file with one header line. Each line
// is split on its first tab only, and quotes are ordinary characters,
// because texts may hold raw '"' and (in principle) further tabs.
func ReadExamples(r io.Reader) ([]Example, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	var examples []Example
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if line == 1 {
			if !strings.Contains(text, "\t") {
				return nil, fmt.Errorf("eval: line 1: header %q is not label<TAB>text", truncate(text, 40))
			}
			continue
		}
		if text == "" {
			continue
		}
		label, body, ok := strings.Cut(text, "\t")
		if !ok {
			return nil, fmt.Errorf("eval: line %d: no tab between label and text in %q", line, truncate(text, 40))
		}
		examples = append(examples, Example{Label: label, Text: body})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval: unable to read data: %w", err)
	}
	if len(examples) == 0 {
		return nil, ErrNoData
	}
	return examples, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
