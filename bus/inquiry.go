package bus

import "encoding/json"

// Inquiry is the message on InquirySubject: an accepted inquiry, already
// redacted, exactly as the workers will store it.
type Inquiry struct {
	ID             string          `json:"id"`
	Source         string          `json:"source"`
	CustomerID     string          `json:"customer_id"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	Text           string          `json:"text"`
	Locale         string          `json:"locale,omitempty"`
	ReplyURL       string          `json:"reply_url,omitempty"`
	Metadata       json.RawMessage `json:"metadata,omitempty"`
	Redactions     []string        `json:"redactions,omitempty"`
	ReceivedAt     int64           `json:"received_at"` // unix milliseconds
	Answer         *Answered       `json:"answer,omitempty"`
}

// Answered is the instant answer an inquiry got at intake.
type Answered struct {
	AnswerID      string `json:"answer_id"`
	IncidentID    string `json:"incident_id,omitempty"`
	UpdateVersion int    `json:"update_version,omitempty"`
	// Text is the answer as given, to be sent on to reply_url too.
	Text string `json:"text,omitempty"`
}
