package kb

import "strings"

// FollowUpText is what a customer who asked about an incident is told when
// it gets update u, in locale: the title, the new status, the update's
// text, and the ETA and workaround when there are any.
func FollowUpText(inc Incident, u Update, locale string) string {
	locale = Locale(locale)
	d := data(inc, u, locale)
	var b strings.Builder
	if locale == "ko" {
		b.WriteString("[" + d.Incident.Title + "] " + d.Status + " 안내드립니다.")
	} else {
		b.WriteString("[" + d.Incident.Title + "] Status: " + d.Status + ".")
	}
	if d.Text != "" {
		b.WriteString(" " + d.Text)
	}
	if d.ETA != "" {
		if locale == "ko" {
			b.WriteString(" 예상 복구 시각: " + d.ETA + ".")
		} else {
			b.WriteString(" Expected recovery: " + d.ETA + ".")
		}
	}
	if d.Workaround != "" {
		if locale == "ko" {
			b.WriteString(" 이용 방법: " + d.Workaround)
		} else {
			b.WriteString(" Meanwhile: " + d.Workaround)
		}
	}
	return b.String()
}
