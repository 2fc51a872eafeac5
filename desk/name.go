package desk

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/surgedesk/surgedesk/storage"
	"github.com/surgedesk/surgedesk/triage"
)

// MaxTitle bounds a problem's name in each language, in characters.
const MaxTitle = 80

// NameProblem names a problem in Korean, English or both: an agent's
// words, or the chat model's titles from a draft. The name is what the
// queue, the board, the dashboard and the API show from then on, and the
// triage engine no longer retitles the problem; naming it again replaces
// the name. Its first title is in the language most of its members write
// in, as the engine's titles are. An unknown or merged problem is
// storage.ErrNotFound.
func (d *Desk) NameProblem(ctx context.Context, actor, problemID, ko, en string) error {
	if d.ProblemStore == nil {
		return ErrNoProblems
	}
	ko, en = strings.Join(strings.Fields(ko), " "), strings.Join(strings.Fields(en), " ")
	switch {
	case ko == "" && en == "":
		return missing("title_ko or title_en is required")
	case utf8.RuneCountInString(ko) > MaxTitle || utf8.RuneCountInString(en) > MaxTitle:
		return invalid("a title is longer than " + strconv.Itoa(MaxTitle) + " characters")
	}
	clusters, err := d.problemClusters(ctx, problemID)
	if err != nil {
		return err
	}
	inKorean, inEnglish := MemberLanguages(clusters)
	title, lang, other, otherLang := ko, "ko", en, "en"
	if ko == "" || en != "" && inEnglish > inKorean {
		title, lang, other, otherLang = en, "en", ko, "ko"
	}
	if other == "" {
		otherLang = ""
	}
	return d.ProblemStore.NameProblem(ctx, actor, problemID, title, lang, other, otherLang, d.Now().UnixMilli())
}

// MemberLanguages counts the members of clusters by the language each
// cluster is written in (clusters are near-duplicates: one language each).
func MemberLanguages(clusters []storage.Cluster) (korean, english int64) {
	for _, c := range clusters {
		if triage.Lang(c.Representative) == "ko" {
			korean += c.Inquiries
		} else {
			english += c.Inquiries
		}
	}
	return korean, english
}
