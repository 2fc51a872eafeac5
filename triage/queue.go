package triage

import (
	"math"
	"strings"
	"time"
)

// urgentTerms mark money, security and privacy complaints, which hurt most
// when they wait. Matched on normalised text (Normalize), so spacing and
// endings do not matter.
var urgentTerms = []string{
	"환불", "결제", "이중결제", "돈", "사기", "해킹", "개인정보", "도용", "출금",
	"refund", "charged twice", "double charge", "fraud", "hacked", "stolen", "scam",
}

// normalisedUrgent is urgentTerms through Normalize, computed once.
var normalisedUrgent = func() []string {
	out := make([]string, len(urgentTerms))
	for i, t := range urgentTerms {
		out[i] = Normalize(t)
	}
	return out
}()

// Urgent reports whether a text mentions money, fraud, hacking or privacy.
func Urgent(text string) bool {
	n := Normalize(text)
	for _, t := range normalisedUrgent {
		if t != "" && strings.Contains(n, t) {
			return true
		}
	}
	return false
}

// QueueSignals are what the agents' queue orders a cluster by.
type QueueSignals struct {
	Inquiries, Customers int
	Last5m, Last15m      int
	Urgent               bool          // a member mentions money, fraud, hacking or privacy
	Unanswered           time.Duration // since the first inquiry no human has answered
	Incident             bool          // linked to a declared incident (answered automatically)
}

// Priority scores a cluster for the agents' queue, highest first. People
// count more than messages (customers, not repeats), growth now more than
// size (5 minutes weigh more than 15), logarithmically so one giant cluster
// does not bury everything else; urgency doubles the score; waiting without
// a human answer raises it by half per hour; a declared incident, already
// answered automatically, halves it.
func Priority(s QueueSignals) float64 {
	p := math.Log1p(float64(s.Customers))*2 + math.Log1p(float64(s.Inquiries)) +
		math.Log1p(float64(s.Last5m))*1.5 + math.Log1p(float64(max(s.Last15m-s.Last5m, 0)))*0.5
	p *= 1 + 0.5*min(s.Unanswered.Hours(), 6)
	if s.Urgent {
		p *= 2
	}
	if s.Incident {
		p *= 0.5
	}
	return p
}
