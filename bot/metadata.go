package bot

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Bounds on metadata that every database stores: PostgreSQL's jsonb
// refuses numbers beyond its numeric range and very deep nesting, and
// such a message would be dead-lettered after its 202.
const (
	maxMetadataDepth       = 32
	maxMetadataNumberBytes = 64
)

// checkMetadata refuses metadata holding a number that is not a finite
// float64 (or longer than maxMetadataNumberBytes), or nesting deeper than
// maxMetadataDepth.
func checkMetadata(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // json.Valid was checked first; the end
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				if depth++; depth > maxMetadataDepth {
					return inputError("invalid_field", "metadata is nested deeper than %d levels", maxMetadataDepth)
				}
			} else {
				depth--
			}
		case json.Number:
			f, err := strconv.ParseFloat(string(v), 64)
			// A non-zero literal that parses as 0 underflows float64.
			mantissa, _, _ := strings.Cut(strings.ToLower(string(v)), "e")
			underflow := f == 0 && strings.ContainsAny(mantissa, "123456789")
			if err != nil || math.IsInf(f, 0) || underflow || len(v) > maxMetadataNumberBytes {
				return inputError("invalid_field", "metadata number %.20s… is out of range (a finite 64-bit float of at most %d characters)", string(v), maxMetadataNumberBytes)
			}
		}
	}
}
