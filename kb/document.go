package kb

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"gopkg.in/yaml.v3"
)

// Document is a whole knowledge base as a file: incidents with their
// updates, and answers with their examples and templates. It is
// self-contained: every answer's incident is in it.
type Document struct {
	Incidents []Incident `yaml:"incidents,omitempty" json:"incidents"`
	Answers   []Answer   `yaml:"answers,omitempty" json:"answers"`
}

// Decode reads a YAML document strictly (an unknown key is an error) and
// validates it, reporting every problem at once with its path.
func Decode(r io.Reader) (Document, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var d Document
	if err := dec.Decode(&d); err != nil {
		if errors.Is(err, io.EOF) {
			return Document{}, fmt.Errorf("%w: empty document", ErrInvalid)
		}
		return Document{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Document{}, fmt.Errorf("%w: more than one YAML document", ErrInvalid)
	}
	if err := d.Validate(); err != nil {
		return Document{}, err
	}
	return d, nil
}

// Encode writes d as YAML that Decode reads back.
func Encode(w io.Writer, d Document) error {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("kb: unable to encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("kb: unable to encode: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("kb: unable to write: %w", err)
	}
	return nil
}

// Validate reports every problem of the document at once: those of each
// incident and answer, duplicate ids, and answers for incidents that are
// not in the document.
func (d Document) Validate() error {
	var p problems
	incidents := map[string]bool{}
	for n, inc := range d.Incidents {
		path := fmt.Sprintf("incidents[%d]", n)
		inc.check(&p, path)
		if inc.ID != "" && incidents[inc.ID] {
			p.add(path, "id", "%q appears more than once", inc.ID)
		}
		incidents[inc.ID] = true
	}
	answers := map[string]bool{}
	for n, a := range d.Answers {
		path := fmt.Sprintf("answers[%d]", n)
		a.check(&p, path)
		if a.ID != "" && answers[a.ID] {
			p.add(path, "id", "%q appears more than once", a.ID)
		}
		answers[a.ID] = true
		if a.IncidentID != "" && !incidents[a.IncidentID] {
			p.add(path, "incident_id", "unknown incident %q", a.IncidentID)
		}
	}
	return p.err()
}
