package kb

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"
)

// Limits on what a template may cost. A template is written by a manager
// but runs on the intake path for every matching inquiry, so its work is
// bounded before it is saved (a step budget, checked on the parse tree
// against the largest data validation allows) and its output when it
// runs (a size cap, far below the stream's maximum message size).
const (
	// MaxTemplateSteps bounds the nodes a template may execute, loops
	// counted as many times as they can turn.
	MaxTemplateSteps = 10000
	// MaxRendered bounds a rendered answer, in bytes.
	MaxRendered = 32 << 10
	// maxFormatWidth bounds a printf width or precision.
	maxFormatWidth = 100
)

// errTooLarge is a rendered answer over MaxRendered.
var errTooLarge = fmt.Errorf("the rendered answer would exceed %d bytes", MaxRendered)

// templateFuncs replaces the built-in functions that could cost without
// bound: printf with a huge width, and call (no function values exist in
// TemplateData anyway).
var templateFuncs = template.FuncMap{
	"printf": safePrintf,
	"call":   func(...any) (string, error) { return "", errors.New("call is not available in answer templates") },
}

func safePrintf(format string, args ...any) (string, error) {
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		width := 0
		for i++; i < len(format) && strings.IndexByte("+-# 0123456789.*[]", format[i]) >= 0; i++ {
			switch c := format[i]; {
			case c == '*' || c == '[':
				return "", errors.New("printf: '*' and argument indexes are not available in answer templates")
			case c >= '0' && c <= '9':
				if width = width*10 + int(c-'0'); width > maxFormatWidth {
					return "", fmt.Errorf("printf: widths and precisions above %d are not allowed", maxFormatWidth)
				}
			default:
				width = 0
			}
		}
	}
	return fmt.Sprintf(format, args...), nil
}

// checkCost refuses what the step budget cannot bound: nested template
// definitions (recursion), range over anything but the incident's
// components (a range over an integer may turn a billion times), and more
// than MaxTemplateSteps steps in the worst case.
func checkCost(t *template.Template) error {
	if len(t.Templates()) > 1 {
		return errors.New("define, block and template are not available in answer templates")
	}
	steps, err := cost(t.Tree.Root, 1)
	if err != nil {
		return err
	}
	if steps > MaxTemplateSteps {
		return fmt.Errorf("the template may take %d steps, at most %d allowed (loops count once per turn)", steps, MaxTemplateSteps)
	}
	return nil
}

// cost returns the worst-case number of nodes executed under n, each
// counted times times.
func cost(n parse.Node, times int) (int, error) {
	if n == nil {
		return 0, nil
	}
	if times > MaxTemplateSteps {
		return times, nil // over budget already; no need to go deeper
	}
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return 0, nil
		}
		total := 0
		for _, c := range n.Nodes {
			s, err := cost(c, times)
			if err != nil {
				return 0, err
			}
			total += s
		}
		return total, nil
	case *parse.IfNode:
		return branches(times, n.List, n.ElseList)
	case *parse.WithNode:
		return branches(times, n.List, n.ElseList)
	case *parse.RangeNode:
		if !rangesOverComponents(n.Pipe) {
			return 0, errors.New("range is only available over .Incident.Components in answer templates")
		}
		body, err := cost(n.List, times*MaxComponents)
		if err != nil {
			return 0, err
		}
		els, err := cost(n.ElseList, times)
		return times + body + els, err
	case *parse.TemplateNode:
		return 0, errors.New("template is not available in answer templates")
	default:
		return times, nil
	}
}

func branches(times int, list, elseList *parse.ListNode) (int, error) {
	a, err := cost(list, times)
	if err != nil {
		return 0, err
	}
	b, err := cost(elseList, times)
	return times + a + b, err
}

// rangesOverComponents reports whether a range pipeline is exactly
// .Incident.Components (or $.Incident.Components), with or without
// variables declared.
func rangesOverComponents(p *parse.PipeNode) bool {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	var ident []string
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.FieldNode:
		ident = a.Ident
	case *parse.VariableNode:
		if len(a.Ident) < 1 || a.Ident[0] != "$" {
			return false
		}
		ident = a.Ident[1:]
	default:
		return false
	}
	return len(ident) == 2 && ident[0] == "Incident" && ident[1] == "Components"
}

// capped is a writer that refuses to grow past MaxRendered.
type capped struct {
	b strings.Builder
}

func (c *capped) Write(p []byte) (int, error) {
	if c.b.Len()+len(p) > MaxRendered {
		return 0, errTooLarge
	}
	return c.b.Write(p)
}

// largest is the largest data validation lets a template see: executed
// against it when saved, a template's output is checked against
// MaxRendered for the worst case.
var largest = func() TemplateData {
	long := func(n int) string { return strings.Repeat("가", n) }
	comps := make([]string, MaxComponents)
	for i := range comps {
		comps[i] = long(MaxComponent)
	}
	return TemplateData{
		Incident:      TemplateIncident{ID: strings.Repeat("i", MaxID), Title: long(MaxTitle), Severity: "critical", Components: comps},
		Status:        "investigating",
		ETA:           "12월 31일 23:59",
		Workaround:    long(MaxWorkaround),
		UpdateVersion: 1 << 30,
		Text:          long(MaxText),
	}
}()
